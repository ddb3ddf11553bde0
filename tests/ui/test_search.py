"""The register search: FTS5 trigram for 3+ characters, LIKE for shorter words; same rows as LIKE."""

from __future__ import annotations

import random

from dudu_desktop.services import demo, disputes, hotline
from dudu_desktop.storage import search
from dudu_desktop.storage.queries import Filters, count_rows, fetch_rows, like_clause, meta, where_clause


def _ids(conn, register, sql, args):
    return {r[0] for r in conn.execute(f"SELECT id FROM {meta(register).table} WHERE deleted = 0 AND {sql}", args)}


def _party(name):
    return {"role": "申请人", "name": name}


def test_two_character_search_finds_exactly_what_like_finds(ctx):
    demo.generate(ctx, year=2024, villages=1, seed=3)
    conn = ctx.conn
    for register in ("disputes", "trainings", "hotline", "publicity"):
        m = meta(register)
        texts = [" ".join(r) for r in conn.execute(f"SELECT {', '.join(m.text)} FROM {m.table}")]
        rnd = random.Random(register)
        samples = set()
        for text in rnd.sample(texts, min(15, len(texts))):
            text = text.replace(" ", "")
            for n in (1, 2, 3, 4):
                if len(text) > n:
                    i = rnd.randrange(len(text) - n)
                    samples.add(text[i : i + n])
        samples |= {"邻居", "土地", "婚姻", "纠纷", "学法", "赶集"}
        for word in sorted(samples):
            got = {r["id"] for r in fetch_rows(conn, register, Filters(search=word), columns="id")}
            want = _ids(conn, register, *like_clause(register, word))
            assert got == want, (register, word)
            assert count_rows(conn, register, Filters(search=word)) == len(want)


def test_short_and_long_words_combine_and_the_index_is_used(ctx):
    a = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-12-01",
            "dispute_type": "邻里",
            "source": "主动排查",
            "summary": "邻居之间因排水沟堵塞发生争吵",
        },
        [_party("王德明")],
    )
    b = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-12-02", "dispute_type": "山林土地", "source": "主动排查", "summary": "承包地边界争议"},
        [_party("李秀英")],
    )
    conn = ctx.conn

    def ids(text):
        return {r["id"] for r in fetch_rows(conn, "disputes", Filters(search=text), columns="id")}

    assert ids("邻居") == {a}
    assert ids("排水沟") == {a}
    assert ids("邻居 排水沟") == {a}
    assert ids("王德明") == {a}  # party names are searched
    assert ids("边界 李秀英") == {b}
    assert ids("边界 王德明") == set()
    assert ids("土地") == set()  # the type is a filter, not text
    sql, args = where_clause("disputes", Filters(search="排水沟"))
    assert "MATCH" in sql and '"排水沟"' in args
    sql, args = where_clause("disputes", Filters(search="邻居"))
    assert "disputes_fts2 MATCH" in sql and '"邻居"' in args  # the 2-gram index (0007_speed)


def test_index_follows_updates_and_direct_writes(ctx):
    call = hotline.create_call(
        ctx,
        {
            "called_at": "2024-12-01 09:00",
            "caller_name": "张三",
            "category": "劳动",
            "question": "在外务工被拖欠工资怎么办",
        },
    )
    conn = ctx.conn

    def ids(text):
        return {r["id"] for r in fetch_rows(conn, "hotline", Filters(search=text), columns="id")}

    assert ids("拖欠工资") == {call}
    hotline.update_call(ctx, call, {"question": "工伤认定需要哪些材料"})
    assert ids("拖欠工资") == set()
    assert ids("工伤认定") == {call}
    # a bundle import writes rows with plain SQL: the triggers index them too
    conn.execute("UPDATE hotline_calls SET answer = '建议申请劳动仲裁' WHERE id = ?", (call,))
    assert ids("劳动仲裁") == {call}
    conn.execute("DELETE FROM hotline_calls WHERE id = ?", (call,))
    assert conn.execute("SELECT count(*) FROM hotline_calls_search_key").fetchone()[0] == 0


def test_migration_indexes_existing_rows_and_rebuild(ctx):
    demo.generate(ctx, year=2024, villages=1, seed=5)
    conn = ctx.conn
    search.rebuild(conn)  # drop + recreate = what the migration does for rows already there
    for register in ("disputes", "hotline"):
        m = meta(register)
        total = conn.execute(f"SELECT count(*) FROM {m.table}").fetchone()[0]
        assert conn.execute(f"SELECT count(*) FROM {m.table}_search_key").fetchone()[0] == total
    word = conn.execute("SELECT substr(summary, 3, 4) FROM disputes LIMIT 1").fetchone()[0]
    got = {r["id"] for r in fetch_rows(conn, "disputes", Filters(search=word), columns="id")}
    assert got and got == _ids(conn, "disputes", *like_clause("disputes", word))


def test_quotes_and_wildcards_are_literal(ctx):
    disputes.create_dispute(
        ctx,
        {"registered_on": "2024-12-01", "dispute_type": "其他", "source": "主动排查", "summary": "借款100%归还"},
        [_party("赵六")],
    )
    conn = ctx.conn
    assert count_rows(conn, "disputes", Filters(search='"借款')) == 0
    assert count_rows(conn, "disputes", Filters(search="100%")) == 1
    assert count_rows(conn, "disputes", Filters(search="%")) == 1
    assert count_rows(conn, "disputes", Filters(search="_")) == 0
