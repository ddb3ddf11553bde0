"""Sync bookkeeping shared by export, import and the township overview: the tables of
migration ``0003_sync`` and a few helpers. No Qt.

Tables
------
``sync_exports`` (village)
    One row per bundle written: its sequence number, file, the change range ``(from_seq, to_seq]``
    of audit sequence numbers it covers, the month it reports (``period``) and the row counts.
``sync_imports`` (township)
    One row per bundle applied, unique by the SHA-256 of its ``datapackage.json`` (which holds the
    SHA-256 of every file), so applying the same bundle twice is recognised and changes nothing.
``sync_conflicts`` (township)
    A record changed on both sides since the last bundle: both full rows, kept until a person
    chooses one (``resolve_conflict``). At most one open conflict per record.
``sync_remote_audit`` (township)
    The villages' own audit entries that came in the bundles, keyed ``(village_code, seq)``.
``sync_pending`` (township)
    Rows whose parent record has not arrived yet (a later bundle applied before an earlier one):
    kept aside and applied automatically with the bundle that brings the parent.
``import_keys``
    Spreadsheet rows already imported (a hash of the village, register and the row's key fields),
    so a re-run of the same file does not duplicate records.
``<record table>.sync_base_version``
    For each record received in a bundle, the village's version the township last accepted (the
    "base"). A local edit at the township makes ``version`` differ from it; when the village's
    version has moved past the base too, the record was changed on both sides: a conflict.

Migration ``0011_sync_epochs`` (township):

``sync_village_epochs``
    The highest epoch (:mod:`dudu_desktop.services.epoch`) seen in a bundle of each village.
``<record table>.sync_base_epoch``
    The epoch of the village version last accepted (NULL: 0). Records rank by ``(epoch, version)``.
``sync_pending.epoch``, ``sync_conflicts.incoming_epoch``
    The epoch of the bundle the waiting row or the conflicting copy came in.
``sync_witness``
    The heads of each village's audit chain (sequence number and hash) the township has seen in
    its bundles, to check at the next import that the chain still holds them.
"""

from __future__ import annotations

import json
import sqlite3

from dudu_desktop.storage.schema import RECORD_TABLES

FORMAT_VERSION = 1
#: Local bookkeeping columns that never travel in a bundle.
LOCAL_COLUMNS = ("sync_base_version", "sync_base_epoch")

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


def migrate_0003_sync(conn: sqlite3.Connection) -> None:
    for statement in SYNC_SQL.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    for table in RECORD_TABLES:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN sync_base_version INTEGER")


EPOCHS_SQL = """
CREATE TABLE sync_village_epochs (
    village_code TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL,
    seen_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE sync_witness (
    village_code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    epoch INTEGER NOT NULL DEFAULT 0,
    bundle_seq INTEGER,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (village_code, seq)
) WITHOUT ROWID;
ALTER TABLE sync_pending ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_conflicts ADD COLUMN incoming_epoch INTEGER NOT NULL DEFAULT 0
"""


def migrate_0011_sync_epochs(conn: sqlite3.Connection) -> None:
    """Township bookkeeping for restores at the villages (``services/epoch.py``) and for witnessing
    their audit chains: the highest epoch seen per village, the epoch of the village version each
    record last accepted (``sync_base_epoch``), the pending rows' and open conflicts' epochs, and the
    audit chain heads seen per village."""
    for statement in EPOCHS_SQL.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    for table in RECORD_TABLES:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN sync_base_epoch INTEGER")


def table_columns(conn: sqlite3.Connection, table: str) -> list[dict]:
    """``[{name, type, notnull, default}]`` of a table, in order."""
    return [{"name": r[1], "type": (r[2] or "").upper(), "notnull": bool(r[3]), "default": r[4]}
            for r in conn.execute(f"PRAGMA table_info({table})")]


def bundle_columns(conn: sqlite3.Connection, table: str) -> list[dict]:
    """The columns that travel in a bundle: every column except local bookkeeping."""
    return [c for c in table_columns(conn, table) if c["name"] not in LOCAL_COLUMNS]


def write_setting(conn: sqlite3.Connection, key: str, value) -> None:
    """Inside the caller's transaction (the sync action itself is audited)."""
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                 "value = excluded.value", (key, json.dumps(value, ensure_ascii=False)))


def chunks(items: list, size: int = 900):
    for i in range(0, len(items), size):
        yield items[i:i + size]
