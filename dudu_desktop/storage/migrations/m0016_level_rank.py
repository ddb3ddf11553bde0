"""Migration ``0016_level_rank`` (issue 14): an index on the 预警 severity expression the register
sorts by (:func:`dudu_desktop.storage.speed.level_rank_index`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import speed

NAME = "0016_level_rank"


def apply(conn: sqlite3.Connection) -> None:
    speed.migrate_0016_level_rank(conn)
