"""Migration ``0006_keys``: the keys for sealed bundles (see :mod:`dudu_desktop.sync.keys`)."""

from __future__ import annotations

import sqlite3

NAME = "0006_keys"

KEYS_SQL = """
CREATE TABLE sync_keys (
    key_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    purpose TEXT NOT NULL,
    public_key BLOB NOT NULL,
    private_key BLOB,
    created_at TEXT NOT NULL,
    retired_at TEXT,
    PRIMARY KEY (owner, purpose, key_id)
) WITHOUT ROWID
"""


def apply(conn: sqlite3.Connection) -> None:
    conn.execute(KEYS_SQL)
