"""Migration ``0007_speed``: live indexes, the follow-ups-due table and the 2-gram search index. The
statements live with the code that also uses them at run time (:mod:`dudu_desktop.storage.speed`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import speed

NAME = "0007_speed"


def apply(conn: sqlite3.Connection) -> None:
    speed.migrate_0007_speed(conn)
