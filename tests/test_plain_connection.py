"""The program holds a plain sqlite3 connection (issue 15: sqlite-utils did no work in the program,
only its ``.conn`` was read; it stays a benchmark tool, see pyproject's ``bench`` extra)."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database

PACKAGE = Path(__file__).resolve().parent.parent / "dudu_desktop"


def test_open_database_returns_a_plain_connection_that_a_context_holds(tmp_path):
    conn = open_database(tmp_path / "p.sqlite3")
    assert type(conn) is sqlite3.Connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ctx = Context(conn=conn, user="a")
    worker = sqlite3.connect(":memory:")
    other = ctx.on(worker)  # a worker thread: the same session, its own connection
    assert (other.conn, other.user, other.role, other.clock) == (worker, ctx.user, ctx.role, ctx.clock)
    assert ctx.conn is conn
    conn.close()


def test_no_module_of_the_program_imports_sqlite_utils():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] == "sqlite_utils"]
    assert offenders == []
