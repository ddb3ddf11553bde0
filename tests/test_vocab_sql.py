"""Status words as SQL literals are built once from the vocabulary (storage/vocab_sql.py, issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

from dudu_desktop.domain import vocab
from dudu_desktop.storage import queries, vocab_sql

PACKAGE = Path(__file__).resolve().parent.parent / "dudu_desktop"
WORDS = [*vocab.DisputeStatus, *vocab.DisputeResult, *vocab.WarningLevel, *vocab.SATISFIED]


def test_no_module_writes_a_status_word_as_an_sql_literal():
    """'已办结', '调解成功', '红' … quoted for SQL appear only where they are built (a migration keeps
    the DDL it ran, defaults included: it is history, not a query)."""
    quoted = re.compile("|".join(re.escape(f"'{w}'") for w in WORDS))
    found = [
        f"{p.relative_to(PACKAGE)}: {m.group()}"
        for p in PACKAGE.rglob("*.py")
        if p.name != "vocab_sql.py" and "migrations" not in p.parts
        for m in quoted.finditer(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_literals_are_the_vocabulary(ctx):
    assert vocab_sql.IS_OPEN == "status IN ('待调处', '调处中')"
    assert vocab_sql.DONE == "('已办结', '已销号')"
    assert (vocab_sql.CONCLUDED, vocab_sql.SUCCESS) == ("'已办结'", "'调解成功'")
    assert vocab_sql.literal("a'b") == "'a''b'"
    # the partial index of the open cases was made with the same text the queries use (else SQLite ignores it)
    index = ctx.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'disputes_open'").fetchone()[0]
    assert index.endswith(f"WHERE deleted = 0 AND {vocab_sql.IS_OPEN}")
    sql, _args = queries.where_clause("disputes", queries.Filters(open_only=True))
    assert vocab_sql.IS_OPEN in sql


def test_levels_sort_by_severity_in_sql(ctx):
    rank = vocab_sql.LEVEL_RANK.format("level")
    rows = ctx.conn.execute(
        f"SELECT level FROM (SELECT '蓝' AS level UNION ALL SELECT '红' UNION ALL SELECT '其他' "
        f"UNION ALL SELECT '黄') ORDER BY {rank}"
    ).fetchall()
    assert [r[0] for r in rows] == ["红", "黄", "蓝", "其他"]
