"""Migration ``0008_speed_stats``: covering indexes for the statistics. The statements live with the
code that also uses them at run time (:mod:`dudu_desktop.storage.speed`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import speed

NAME = "0008_speed_stats"


def apply(conn: sqlite3.Connection) -> None:
    speed.migrate_0008_speed_stats(conn)
