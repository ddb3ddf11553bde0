"""Named schema migrations, applied in order, and the lists of tables. Never edit a migration that has
shipped: add a new one (a module in :mod:`dudu_desktop.storage.migrations`, appended to
:data:`MIGRATIONS`). The list's length is the program's schema version."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from dudu_desktop.storage.migrations import (
    m0001_initial,
    m0002_search,
    m0003_sync,
    m0004_users,
    m0006_keys,
    m0007_speed,
    m0008_speed_stats,
    m0009_bulk_search,
    m0010_audit_rows,
    m0011_sync_epochs,
    m0013_attachments,
    m0014_agreement_fields,
    m0015_speed_stats_more,
    m0016_level_rank,
)
from dudu_desktop.storage.migrations.m0001_initial import INITIAL, RECORD_TABLES

#: (name, apply) in order. Append only; the names are recorded in every file (``_migrations``).
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    (m.NAME, m.apply)
    for m in (
        m0001_initial,
        m0002_search,
        m0004_users,
        m0003_sync,
        m0006_keys,
        m0007_speed,
        m0008_speed_stats,
        m0009_bulk_search,
        m0010_audit_rows,
        m0011_sync_epochs,
        m0013_attachments,
        m0014_agreement_fields,
        m0015_speed_stats_more,
        m0016_level_rank,
    )
]

__all__ = ["INITIAL", "MIGRATIONS", "RECORD_TABLES"]
