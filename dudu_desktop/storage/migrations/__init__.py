"""Schema migrations, one module per migration (``mNNNN_name.py``), each with ``NAME`` (the name
recorded in ``_migrations``; never renamed) and ``apply(conn)``. The ordered list is
:data:`dudu_desktop.storage.schema.MIGRATIONS`: it is kept outside this package so that modules a
migration uses (``storage.chain`` reads the tables of ``0001_initial``) can import a migration module
without importing every other one. Never edit a migration that has shipped: add a new one.

Migration modules import only ``storage`` and ``domain`` (tests/test_architecture.py)."""

from __future__ import annotations

import sqlite3


def run_script(conn: sqlite3.Connection, sql: str) -> None:
    """Execute ``;\\n``-separated statements one by one (inside the caller's transaction, unlike
    ``executescript``, which commits first)."""
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(statement)
