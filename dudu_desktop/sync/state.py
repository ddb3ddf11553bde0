"""Sync bookkeeping shared by export, import and the township overview: the tables of
migrations ``0003_sync`` and ``0011_sync_epochs`` (their DDL is in
:mod:`dudu_desktop.storage.migrations`) and a few helpers. No Qt.

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

FORMAT_VERSION = 1
#: Local bookkeeping columns that never travel in a bundle.
LOCAL_COLUMNS = ("sync_base_version", "sync_base_epoch")


def table_columns(conn: sqlite3.Connection, table: str) -> list[dict]:
    """``[{name, type, notnull, default}]`` of a table, in order."""
    return [
        {"name": r[1], "type": (r[2] or "").upper(), "notnull": bool(r[3]), "default": r[4]}
        for r in conn.execute(f"PRAGMA table_info({table})")
    ]


def bundle_columns(conn: sqlite3.Connection, table: str) -> list[dict]:
    """The columns that travel in a bundle: every column except local bookkeeping."""
    return [c for c in table_columns(conn, table) if c["name"] not in LOCAL_COLUMNS]


def write_setting(conn: sqlite3.Connection, key: str, value) -> None:
    """Inside the caller's transaction (the sync action itself is audited)."""
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False)),
    )


def chunks(items: list, size: int = 900):
    for i in range(0, len(items), size):
        yield items[i : i + size]
