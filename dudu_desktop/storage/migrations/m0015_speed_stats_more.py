"""Migration ``0015_speed_stats_more`` (issue 14): covering indexes for the rest of the year's
statistics (hotline calls, training sessions and attendance, publicity events). The statements live
with the code that uses them (:mod:`dudu_desktop.storage.speed`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import speed

NAME = "0015_speed_stats_more"


def apply(conn: sqlite3.Connection) -> None:
    speed.migrate_0015_speed_stats_more(conn)
