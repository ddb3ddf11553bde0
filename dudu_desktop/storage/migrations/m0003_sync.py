"""Migration ``0003_sync``: the bookkeeping of USB sync bundles (see :mod:`dudu_desktop.sync.state`
for what each table holds) and ``sync_base_version`` on every register table."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.migrations import run_script
from dudu_desktop.storage.migrations.m0001_initial import RECORD_TABLES

NAME = "0003_sync"

SYNC_SQL = """
CREATE TABLE sync_exports (
    seq INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    path TEXT NOT NULL,
    at TEXT NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    period TEXT NOT NULL,
    full INTEGER NOT NULL DEFAULT 0,
    from_seq INTEGER NOT NULL,
    to_seq INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    sha256 TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sync_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    descriptor_hash TEXT NOT NULL UNIQUE,
    village_code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    at TEXT NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    exported_at TEXT NOT NULL DEFAULT '',
    period TEXT NOT NULL DEFAULT '',
    full INTEGER NOT NULL DEFAULT 0,
    from_seq INTEGER NOT NULL DEFAULT 0,
    to_seq INTEGER NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}',
    rejected TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX sync_imports_village ON sync_imports (village_code, seq);
CREATE INDEX sync_imports_period ON sync_imports (period, village_code);
CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    village_code TEXT NOT NULL,
    local_row TEXT NOT NULL,
    incoming_row TEXT NOT NULL,
    incoming_version INTEGER NOT NULL,
    bundle_seq INTEGER,
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sync_conflicts_open ON sync_conflicts (table_name, record_id) WHERE resolved_at IS NULL;
CREATE TABLE sync_remote_audit (
    village_code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    uid TEXT NOT NULL,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL DEFAULT '',
    record_id TEXT NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '{}',
    reason TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL DEFAULT '',
    hash TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (village_code, seq)
) WITHOUT ROWID;
CREATE TABLE sync_pending (
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    village_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    row TEXT NOT NULL,
    bundle_seq INTEGER,
    PRIMARY KEY (table_name, record_id)
) WITHOUT ROWID;
CREATE TABLE import_keys (
    key TEXT PRIMARY KEY,
    register TEXT NOT NULL,
    record_id TEXT NOT NULL,
    village_code TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    row_number INTEGER,
    imported_at TEXT NOT NULL
) WITHOUT ROWID
"""


def apply(conn: sqlite3.Connection) -> None:
    run_script(conn, SYNC_SQL)
    for table in RECORD_TABLES:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN sync_base_version INTEGER")
