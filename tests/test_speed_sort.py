"""Issue 14: the register sorted by 预警 (by severity 红 → 黄 → 蓝, a CASE expression since issue 12)
is read from an index on that expression (migration ``0016_level_rank``): no sort of the whole table
for a page, in either direction and for the keyset pages after a row; the order is unchanged."""

from __future__ import annotations

import datetime as dt

from bench.bulk_data import generate_bulk
from dudu_desktop.storage import queries
from tests.conftest import make_context


def test_the_level_sort_pages_come_from_the_expression_index(tmp_path):
    ctx = make_context(tmp_path / "b.sqlite3", role="township")
    generate_bulk(ctx.conn, disputes=1500, villages=3, years=1, seed=4, today=dt.date(2024, 12, 31))
    conn = ctx.conn
    plans = []

    class Spy:
        def execute(self, sql, *args):
            if "ORDER BY" in sql:
                plans.append([r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, *args)])
            return conn.execute(sql, *args)

    f = queries.Filters()
    rank = {"红": 0, "黄": 1, "蓝": 2}
    everything = queries.fetch_rows(conn, "disputes", f, order_by="level")
    assert [rank[r["level"]] for r in everything] == sorted(rank[r["level"]] for r in everything)
    for descending in (False, True):
        first = queries.fetch_rows(Spy(), "disputes", f, order_by="level", descending=descending, limit=50)
        key = tuple(first[-1][k] for k in queries.sort_key("disputes", "level"))
        after = queries.fetch_rows(Spy(), "disputes", f, order_by="level", descending=descending, limit=50, after=key)
        whole = everything[::-1] if descending else everything
        assert [r["id"] for r in first + after] == [r["id"] for r in whole[:100]]
    assert plans and all(any("disputes_live_level_rank" in step for step in p) for p in plans), plans
    assert not any("TEMP B-TREE" in step for p in plans for step in p), plans
    conn.close()
