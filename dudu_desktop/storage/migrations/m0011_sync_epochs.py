"""Migration ``0011_sync_epochs`` (township): bookkeeping for restores at the villages
(``services/epoch.py``) and for witnessing their audit chains — the highest epoch seen per village, the
epoch of the village version each record last accepted (``sync_base_epoch``), the pending rows' and
open conflicts' epochs, and the audit chain heads seen per village (see :mod:`dudu_desktop.sync.state`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.migrations import run_script
from dudu_desktop.storage.migrations.m0001_initial import RECORD_TABLES

NAME = "0011_sync_epochs"

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


def apply(conn: sqlite3.Connection) -> None:
    run_script(conn, EPOCHS_SQL)
    for table in RECORD_TABLES:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN sync_base_epoch INTEGER")
