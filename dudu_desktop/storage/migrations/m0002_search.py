"""Migration ``0002_search``: FTS5 trigram indexes and their triggers. The statements are built by
:mod:`dudu_desktop.storage.search` from the register definitions (``search.rebuild`` runs them again)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import search

NAME = "0002_search"


def apply(conn: sqlite3.Connection) -> None:
    search.migrate_0002_search(conn)
