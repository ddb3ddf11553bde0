"""Issue 14, year statistics: the figures come from one ordered pass over the disputes' covering
index and from covering indexes for the other registers (migration ``0015_speed_stats_more``), and
they are exactly what the straightforward queries give — on generated data with every status, odd
rows (no type, an unknown status) and several villages, for years, months and one village."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.bulk_data import generate_bulk
from dudu_desktop.services import stats
from tests.conftest import make_context

TODAY = dt.date(2024, 12, 31)


def reference(conn, *, year=None, month=None, village=None) -> dict:
    """The disputes figures as the plain queries of issue 7 computed them (one query per figure)."""
    start, end = stats.period_bounds(year, month)
    days = stats.site.overdue_days(conn)
    v = " AND village_code = :village" if village else ""
    a = {"start": start, "end": end, "village": village, "today": TODAY.isoformat(), "days": f"+{days} days"}
    reg = f"FROM disputes WHERE deleted = 0 AND registered_on >= :start AND registered_on < :end{v}"
    row = conn.execute(
        f"""SELECT count(*), sum(status IN ('待调处', '调处中')),
               sum(CASE WHEN status IN ('已办结', '已销号') THEN concluded_on > date(registered_on, :days)
                        ELSE :today > date(registered_on, :days) END),
               sum(level = '红'), sum(level = '黄'), sum(level = '蓝'),
               coalesce(sum(prevented_criminal), 0), coalesce(sum(prevented_criminal_people), 0),
               coalesce(sum(prevented_petition), 0), coalesce(sum(prevented_petition_people), 0) {reg}""",
        a,
    ).fetchone()
    total, open_, overdue, red, yellow, blue, pc, pcp, pp, ppp = (x or 0 for x in row)
    by_type = dict.fromkeys(stats.vocab.DISPUTE_TYPES, 0)
    for t, n in conn.execute(f"SELECT dispute_type, count(*) {reg} GROUP BY dispute_type", a):
        by_type[t] = n
    by_month: dict = {}
    for m, t, n in conn.execute(
        f"SELECT substr(registered_on, 1, 7), dispute_type, count(*) {reg} GROUP BY 1, 2 ORDER BY 1", a
    ):
        by_month.setdefault(m, {})[t] = n
    return {
        "total": total,
        "open": open_,
        "overdue": overdue,
        "by_level": {"red": red, "yellow": yellow, "blue": blue},
        "prevented": [pc, pcp, pp, ppp],
        "by_type": list(by_type.items()),
        "by_month_type": [(m, list(d.items())) for m, d in by_month.items()],
    }


def ours(figures: dict) -> dict:
    d = figures["disputes"]
    return {
        "total": d["total"],
        "open": d["open"],
        "overdue": d["overdue"],
        "by_level": d["by_level"],
        "prevented": [
            d["prevented_criminal"],
            d["prevented_criminal_people"],
            d["prevented_petition"],
            d["prevented_petition_people"],
        ],
        "by_type": list(d["by_type"].items()),
        "by_month_type": [(m, list(t.items())) for m, t in d["by_month_type"].items()],
    }


@pytest.fixture
def bulk(tmp_path):
    ctx = make_context(tmp_path / "b.sqlite3", role="township")
    generate_bulk(ctx.conn, disputes=3000, villages=4, years=2, seed=9, today=TODAY)
    conn = ctx.conn
    with conn:  # rows the forms never make: a type outside the list, a status outside it
        conn.execute("UPDATE disputes SET dispute_type = '其它纠纷' WHERE rowid % 97 = 0")
        conn.execute("UPDATE disputes SET status = '挂起' WHERE rowid % 89 = 0")
        conn.execute("UPDATE disputes SET concluded_on = NULL WHERE rowid % 83 = 0")
    yield ctx
    conn.close()


def test_the_year_figures_equal_the_plain_queries(bulk):
    conn = bulk.conn
    village = conn.execute("SELECT min(code) FROM villages").fetchone()[0]
    for kw in (
        {"year": 2024},
        {"year": 2023},
        {"month": "2024-02"},
        {"year": 2024, "village": village},
        {"month": "2023-11", "village": village},
    ):
        got = ours(stats.compute_stats(conn, today=TODAY, **kw))
        assert got == reference(conn, **kw), kw
        assert got["total"] > 0


def test_every_register_is_read_from_a_covering_index(bulk):
    """No table row is read for the township's year (the plans name the covering indexes)."""
    conn = bulk.conn
    plans = []
    original = conn.execute

    class Spy:
        def execute(self, sql, *args):
            if sql.lstrip().upper().startswith("SELECT") and "sqlite_master" not in sql:
                plans.append((sql, [r[3] for r in original("EXPLAIN QUERY PLAN " + sql, *args)]))
            return original(sql, *args)

    stats.compute_stats(Spy(), year=2024, today=TODAY)
    text = "\n".join(" | ".join(p) for _s, p in plans)
    for index in (
        "disputes_live_stats",
        "hotline_live_stats",
        "trainings_live_stats",
        "training_attendance_stats",
        "publicity_live_stats",
    ):
        assert index in text, index
    assert "COVERING INDEX hotline_live_stats" in text and "COVERING INDEX training_attendance_stats" in text
    grouped = [p for s, p in plans if "GROUP BY registered_on, dispute_type" in s]
    assert grouped and not any("TEMP B-TREE" in step for step in grouped[0])  # read in the index's order
