"""Migration ``0009_bulk_search``: a bundle import keeps the search indexes (trigram and 2-gram)
and the follow-ups-due table in bulk instead of per row, and they stay exactly right — after
new rows, an update of a text field and a tombstone, searching at the township finds exactly
what plain LIKE finds, for 1-, 2-, 3- and 5-character words and a name."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dudu_desktop.services import demo, disputes, hotline, records
from dudu_desktop.storage import search, speed
from dudu_desktop.storage.bulk import FLAG
from dudu_desktop.storage.registers import REGISTERS, meta
from tests.test_sync_bundles import VILLAGES, apply_bundle, export_bundle, township, village_ctx

NEW_SUMMARY = "王五与邻居赵六因宅基地界桩移位发生纠纷，请求调解"
NEW_ANSWER = "建议先行协商，协商不成可申请土地承包仲裁"


def _ids(conn, register: str, text: str, use_index: bool) -> set[str]:
    m = meta(register)
    sql, args = search.search_clause(register, text, use_index=use_index)
    return {r[0] for r in conn.execute(f"SELECT id FROM {m.table} WHERE {sql}", args)}


def _words(old: str, new: str, name: str) -> list[str]:
    out = {name, "邻居", "纠纷", "宅基地", "界桩移位发", "土地承包仲", "仲裁", "王", "王五 邻居"}
    for text in (old, new):
        for size in (2, 3, 5):
            out.update(text[i : i + size] for i in range(0, max(len(text) - size + 1, 0), 3))
    return sorted(w for w in out if w.strip())


def _due(conn) -> set[tuple]:
    return {tuple(r) for r in conn.execute("SELECT dispute_id, concluded_on FROM dispute_followup_due")}


@pytest.fixture
def setting(tmp_path):
    out = tmp_path / "usb"
    out.mkdir()
    village = village_ctx(tmp_path / "v.sqlite3", *VILLAGES[0])
    demo.generate(village, year=2024, seed=21)
    town = township(tmp_path / "town.sqlite3")
    yield village, town, out
    village.conn.close()
    town.conn.close()


def test_search_after_imports_equals_like(setting):
    village, town, out = setting
    vconn, tconn = village.conn, town.conn
    for day in (2, 3):  # two concluded cases waiting for their follow-up visit
        new_id = disputes.create_dispute(
            village,
            {
                "registered_on": f"2024-12-0{day}",
                "dispute_type": "邻里",
                "summary": "排水沟堵塞引发争执",
                "source": "主动排查",
            },
            [{"name": "孙八", "role": "申请人"}],
        )
        disputes.conclude(
            village, new_id, result="调解成功", agreement_terms="双方和解", concluded_on=f"2024-12-1{day}"
        )
    assert apply_bundle(town, export_bundle(village, out).path).totals["new"] > 0

    # the village edits a text field of a dispute and of a call, tombstones a dispute, visits a concluded case
    case = vconn.execute(
        "SELECT id, summary, party_names FROM disputes WHERE deleted = 0 AND status <> '已销号' ORDER BY id LIMIT 1"
    ).fetchone()
    disputes.update_dispute(village, case["id"], {"summary": NEW_SUMMARY})
    call = vconn.execute("SELECT id, answer FROM hotline_calls WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()
    hotline.update_call(village, call["id"], {"answer": NEW_ANSWER})
    gone = vconn.execute(
        "SELECT id FROM disputes WHERE deleted = 0 AND id <> ? AND summary <> '排水沟堵塞引发争执' "
        "ORDER BY id DESC LIMIT 1",
        (case["id"],),
    ).fetchone()[0]
    records.delete_record(village, "disputes", gone, reason="重复登记")
    assert len(_due(tconn)) == 2
    due = vconn.execute(
        "SELECT dispute_id, concluded_on FROM dispute_followup_due ORDER BY dispute_id LIMIT 1"
    ).fetchone()
    disputes.record_followup(
        village, due[0], {"visited_on": due[1], "performance": "已履行", "satisfaction": "满意", "visitor": "冉光明"}
    )
    second = apply_bundle(town, export_bundle(village, out).path)
    assert second.totals["updated"] >= 3 and second.totals["invalid"] == 0

    # then the village tombstones the edited dispute too
    records.delete_record(village, "disputes", case["id"], reason="录错")
    apply_bundle(town, export_bundle(village, out).path)

    row = tconn.execute("SELECT summary, deleted FROM disputes WHERE id = ?", (case["id"],)).fetchone()
    assert tuple(row) == (NEW_SUMMARY, 1)
    assert tconn.execute("SELECT answer FROM hotline_calls WHERE id = ?", (call["id"],)).fetchone()[0] == NEW_ANSWER
    assert tconn.execute(f"SELECT count(*) FROM {FLAG}").fetchone()[0] == 0  # no bulk flag left behind

    name = case["party_names"].split("、")[0]
    words = _words(case["summary"], NEW_SUMMARY, name) + _words(call["answer"] or "", NEW_ANSWER, "新来访人")
    assert {search.indexed(w) for w in words} >= {"bigram", "trigram"}
    found_new = False
    for register in REGISTERS:
        for word in words:
            got = _ids(tconn, register, word, True)
            assert got == _ids(tconn, register, word, False), (register, word)
            found_new |= register == "disputes" and word == "界桩移位发" and got == {case["id"]}
        m = meta(register)
        live = tconn.execute(f"SELECT count(*) FROM {m.table}").fetchone()[0]
        assert tconn.execute(f"SELECT count(*) FROM {m.table}_search_key").fetchone()[0] == live
    assert found_new
    # the old text of the edited dispute is no longer in the index
    old_piece = case["summary"][:5]
    assert case["id"] not in _ids(tconn, "disputes", old_piece, True) or old_piece in NEW_SUMMARY

    # the follow-ups-due table equals its definition, and the village's
    kept = _due(tconn)
    assert len(kept) == 1
    speed.refill_followup_due(tconn)
    assert kept == _due(tconn) == _due(vconn)


def test_triggers_still_keep_the_index_outside_imports(setting):
    """Ordinary writes (services) still go through the per-row triggers; a rebuild keeps the
    bulk-load condition on them."""
    village, _town, _out = setting
    conn = village.conn
    new_id = disputes.create_dispute(
        village,
        {"registered_on": "2024-12-01", "dispute_type": "邻里", "summary": "界桩移位引发争执", "source": "主动排查"},
        [{"name": "钱七", "role": "申请人"}],
    )
    assert _ids(conn, "disputes", "界桩", True) == {new_id} == _ids(conn, "disputes", "界桩移位", True)
    search.rebuild(conn)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'disputes_search_ai'").fetchone()[0]
    assert FLAG in sql
    disputes.update_dispute(village, new_id, {"summary": "排水沟堵塞"})
    assert _ids(conn, "disputes", "界桩", True) == set() == _ids(conn, "disputes", "界桩", False)
    assert new_id in _ids(conn, "disputes", "水沟", True)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("邻居纠纷王a Z9、，\u3000\U00020000\x00é"), max_size=12))
def test_python_bigrams_equal_the_sql_ones(text):
    """The bulk path computes the 2-grams in Python; they must be what the triggers' CTE makes."""
    conn = sqlite3.connect(":memory:")
    search._with_bigrams(conn)
    cte = conn.execute(f"SELECT {search._bigrams(':v')}", {"v": text}).fetchone()[0]
    bulk = conn.execute(f"SELECT {search._bulk_bigrams(':v')}", {"v": text}).fetchone()[0]
    assert bulk == cte
    if "\x00" not in text:
        assert search.bigrams(text) == cte
