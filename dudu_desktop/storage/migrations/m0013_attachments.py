"""Migration ``0013_attachments`` (issue 16): files attached to the records (photos, scans) and the
content-addressed store of their bytes.

``blobs`` holds each distinct file once, keyed by the SHA-256 of its bytes: the same photo attached
to two records (or twice to one) is stored once. The bytes live in the database file itself, so a
write is one transaction with its audit entry, and a backup or a restore carries everything
(docs/performance.md, "Attachments", has the measurements behind this choice).

``attachments`` is a register-like table (UUID id, village_code, version, tombstone, change_seq,
audited with row digests like the registers): which record (``table_name`` + ``record_id``) a file
belongs to, its kind (domain/attachments.py), caption, file name, type, size, pixel size and page
count. A voided attachment keeps its row (``deleted = 1``) and its bytes.
"""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.migrations import run_script

NAME = "0013_attachments"

#: As first created: the row digests of ``attachments`` cover these columns (storage/chain.py).
ATTACHMENTS_TABLE = """
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    village_code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    change_seq INTEGER NOT NULL DEFAULT 0,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    caption TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    pages INTEGER
)"""

SQL = (
    ATTACHMENTS_TABLE
    + """;
CREATE INDEX attachments_record ON attachments (record_id, created_at);
CREATE INDEX attachments_sha ON attachments (sha256);
CREATE INDEX attachments_change ON attachments (change_seq);
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size INTEGER NOT NULL,
    data BLOB NOT NULL
)
"""
)


def apply(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
