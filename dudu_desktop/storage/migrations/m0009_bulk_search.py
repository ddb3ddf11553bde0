"""Migration ``0009_bulk_search``: search and follow-up-due triggers that skip bulk loads. The
statements live with the code that also uses them at run time (:mod:`dudu_desktop.storage.bulk`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import bulk

NAME = "0009_bulk_search"


def apply(conn: sqlite3.Connection) -> None:
    bulk.migrate_0009_bulk_search(conn)
