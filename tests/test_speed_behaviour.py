"""What keeps the registers fast at county scale, checked as behaviour (never as timings):
paging by key / from the end returns the rows a plain query returns; the model reads only the
pages shown; searches by index, by 2-grams and by walking the list find exactly what LIKE finds;
the follow-ups-due table and the rewritten overdue filter agree with their plain definitions;
the bulk demo generator writes a consistent, audited database."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bench.bulk_data import generate_bulk
from dudu_desktop.services import audit, disputes, records
from dudu_desktop.storage import search
from dudu_desktop.storage.queries import Filters, count_rows, fetch_rows, like_clause, meta, sort_key

TODAY = dt.date(2024, 12, 31)


@pytest.fixture
def bulk(ctx):
    counts = generate_bulk(ctx.conn, disputes=3000, villages=7, years=2, seed=4, today=TODAY)
    return ctx, counts


def _plain(conn, f: Filters, order_by: str, descending: bool) -> list[str]:
    return [
        r["id"]
        for r in fetch_rows(conn, "disputes", f, order_by=order_by, descending=descending, columns="id", today=TODAY)
    ]


@pytest.mark.parametrize("order_by", ["registered_on", "level", "village_code", "serial_no", "status"])
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_and_from_end_pages_equal_the_plain_query(bulk, order_by, descending):
    ctx, _counts = bulk
    conn = ctx.conn
    for f in (Filters(), Filters(type="邻里"), Filters(level="黄", status="已销号")):
        everything = _plain(conn, f, order_by, descending)
        n, page = len(everything), 50
        kw = {"order_by": order_by, "descending": descending, "today": TODAY}
        keys = sort_key("disputes", order_by)
        # walk forwards by key, backwards by key, and every page counted from the end
        rows, forward = fetch_rows(conn, "disputes", f, limit=page, **kw), []
        while rows:
            forward += [r["id"] for r in rows]
            rows = fetch_rows(conn, "disputes", f, limit=page, after=tuple(rows[-1][k] for k in keys), **kw)
        assert forward == everything
        last = fetch_rows(conn, "disputes", f, limit=page, from_end=True, **kw)
        backward = [r["id"] for r in last]
        while last:
            last = fetch_rows(conn, "disputes", f, limit=page, before=tuple(last[0][k] for k in keys), **kw)
            backward = [r["id"] for r in last] + backward
        assert backward == everything
        for start in range(0, n, 333):
            size = min(page, n - start)
            tail = fetch_rows(conn, "disputes", f, limit=size, from_end=True, offset=n - start - size, **kw)
            assert [r["id"] for r in tail] == everything[start : start + size]
        deep = fetch_rows(conn, "disputes", f, limit=page, offset=n - 70, columns="id", **kw)  # index first
        assert [r["id"] for r in deep] == everything[n - 70 : n - 20]


def test_the_model_reads_only_the_pages_shown(bulk, db_path):
    pytest.importorskip("PySide6")
    from dudu_desktop.ui.models import RegisterModel

    ctx, counts = bulk
    model = RegisterModel(ctx, "disputes", db_path, threaded=False)
    model.PAGE = 100
    model.refresh()
    total = counts["disputes"]
    assert model.rowCount() == total and model.rows_fetched == 100 and model.page_loads == 1
    want = _plain(ctx.conn, Filters(), "registered_on", True)
    assert model.row_record(total - 1)["id"] == want[-1]  # the last page, counted from the end
    assert model.page_loads == 2 and model.rows_fetched <= 200
    assert model.row_record(total - 150)["id"] == want[total - 150]  # next to a page held: by key
    assert model.row_record(1234)["id"] == want[1234]
    assert model.page_loads == 4 and model.pages_cached <= model.MAX_PAGES
    # a filter change reads one page (and a count), not the table
    before = model.rows_fetched
    model.set_filters(Filters(type="婚姻家庭"))
    assert model.rows_fetched - before <= model.PAGE
    assert model.rowCount() == count_rows(ctx.conn, "disputes", Filters(type="婚姻家庭"), today=TODAY)


def test_searches_find_exactly_what_like_finds(bulk):
    ctx, _counts = bulk
    conn = ctx.conn
    disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-12-01",
            "dispute_type": "其他",
            "source": "主动排查",
            "summary": "Ab12 借款，归还 ÉCOLE école「甲」",
        },
        [{"role": "申请人", "name": "冉光"}],
    )
    rnd = random.Random(9)
    texts = [r[0] for r in conn.execute("SELECT summary || party_names FROM disputes ORDER BY rowid LIMIT 400")]
    words = {"邻居", "谭", "冉光", "ab", "AB", "b1", "12", "É", "é", "，归", "「甲", "借款 归还", "邻居 王"}
    for text in rnd.sample(texts, 40):
        for n in (1, 2, 3, 5):
            i = rnd.randrange(max(1, len(text) - n))
            words.add(text[i : i + n])
    for word in sorted(words):
        want = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM disputes WHERE deleted = 0 AND " + like_clause("disputes", word)[0],
                like_clause("disputes", word)[1],
            )
        }
        for use_index in (True, False):  # driven by the index / walking the list with LIKE
            got = {
                r["id"]
                for r in fetch_rows(conn, "disputes", Filters(search=word), columns="id", search_index=use_index)
            }
            assert got == want, (word, use_index)
        assert count_rows(conn, "disputes", Filters(search=word)) == len(want), word
    assert search.choose(conn, "disputes", "邻居") == "index"  # few rows here
    assert (
        search.indexed("邻居") == "bigram" and search.indexed("，归") is None and search.indexed("宅基地") == "trigram"
    )


def test_the_2gram_index_follows_updates_and_deletes(ctx):
    a = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-12-01", "dispute_type": "邻里", "source": "主动排查", "summary": "邻居纠纷"},
        [{"role": "申请人", "name": "王德明"}],
    )

    def ids(w):
        return {r["id"] for r in fetch_rows(ctx.conn, "disputes", Filters(search=w), columns="id")}

    assert ids("邻居") == {a} and ids("纷") == {a}
    disputes.update_dispute(ctx, a, {"summary": "土地争议"})
    assert ids("邻居") == set() and ids("土地") == {a}
    ctx.conn.execute("DELETE FROM dispute_parties WHERE dispute_id = ?", (a,))
    ctx.conn.execute("DELETE FROM disputes WHERE id = ?", (a,))
    assert ids("土地") == set()
    assert (
        ctx.conn.execute("SELECT count(*) FROM disputes_fts2 WHERE disputes_fts2 MATCH '\"土地\"'").fetchone()[0] == 0
    )


def _due_plain(conn, cutoff: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT id FROM disputes d WHERE deleted = 0 AND status = '已办结' AND result = '调解成功' "
            "AND concluded_on <= ? "
            "AND NOT EXISTS (SELECT 1 FROM dispute_followups fu WHERE fu.dispute_id = d.id AND fu.deleted = 0)",
            (cutoff,),
        )
    }


def test_followups_due_and_overdue_agree_with_their_definitions(bulk):
    ctx, _counts = bulk
    conn = ctx.conn
    cutoff = (TODAY - dt.timedelta(days=7)).isoformat()

    def got():
        return {r["id"] for r in fetch_rows(conn, "disputes", Filters(followup_due=True), columns="id", today=TODAY)}

    assert got() == _due_plain(conn, cutoff) and got()
    # change things through the services and directly: the table follows
    case, concluded = conn.execute(
        "SELECT dispute_id, concluded_on FROM dispute_followup_due ORDER BY concluded_on LIMIT 1"
    ).fetchone()
    fid = disputes.record_followup(
        ctx, case, {"visited_on": concluded, "performance": "已履行", "satisfaction": "满意", "visitor": "冉光明"}
    )
    assert case not in got() and got() == _due_plain(conn, cutoff)
    records.delete_record(ctx, "dispute_followups", fid, reason="录错")
    assert case in got() and got() == _due_plain(conn, cutoff)
    records.delete_record(ctx, "disputes", case, reason="重复")
    assert case not in got() and got() == _due_plain(conn, cutoff)
    new = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-11-01", "dispute_type": "邻里", "source": "主动排查", "summary": "邻居纠纷"},
        [{"role": "申请人", "name": "王德明"}],
    )
    disputes.start_mediation(ctx, new)
    disputes.conclude(ctx, new, result="调解成功", agreement_terms="双方和解", concluded_on="2024-11-05")
    assert new in got() and got() == _due_plain(conn, cutoff)
    conn.execute("DELETE FROM dispute_followups WHERE dispute_id IN (SELECT id FROM disputes LIMIT 50)")
    assert got() == _due_plain(conn, cutoff)
    # overdue: open and date(registered_on, +30 days) < today
    plain = {
        r[0]
        for r in conn.execute(
            "SELECT id FROM disputes WHERE deleted = 0 AND status NOT IN ('已办结', '已销号') "
            "AND date(registered_on, '+30 days') < ?",
            (TODAY.isoformat(),),
        )
    }
    assert (
        plain
        and {
            r["id"]
            for r in fetch_rows(conn, "disputes", Filters(overdue=True), columns="id", today=TODAY, overdue_days=30)
        }
        == plain
    )


def test_bulk_generator_is_consistent_and_audited(bulk):
    ctx, counts = bulk
    conn = ctx.conn
    assert counts["disputes"] == 3000 and counts["dispute_parties"] == 6000
    for table, n in counts.items():
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n
    assert audit.verify_chain(conn) == []
    entries = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'bulk_demo'").fetchone()[0]
    assert 0 < entries <= 10  # one per batch, not per row
    assert (
        conn.execute(
            "SELECT count(*) FROM disputes WHERE change_seq NOT IN "
            "(SELECT seq FROM audit_log WHERE action = 'bulk_demo')"
        ).fetchone()[0]
        == 0
    )
    m = meta("disputes")
    assert conn.execute(f"SELECT count(*) FROM {m.table}_search_key").fetchone()[0] == 3000
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
