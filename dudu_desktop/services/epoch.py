"""Sync epochs: what a village's history is after a backup was restored.

A restore rolls the village's records back to an older state, so the versions it holds afterwards
can be lower than (or equal to) versions it already sent to the township. Every restore therefore
starts a new **epoch**; bundles carry the epoch they were written in, and the township ranks a
record by ``(epoch, version)``, so everything the village holds after a restore outranks what it
sent before it.

The epoch is a number that only grows: at a restore it becomes the largest of the restored file's
epoch + 1, the replaced file's epoch + 1 (when it could still be read) and the restore's Unix time,
so restoring an old backup twice, or a backup taken before an earlier restore, still moves forward.

Stored in ``settings['sync.epoch']``::

    {"epoch": int, "restored_at": "YYYY-MM-DD HH:MM:SS", "backup": "<file name>",
     "previous": int, "announced": bool}

``announced`` turns true once a bundle has told the township about the restore.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

KEY = "sync.epoch"


def epoch_state(conn: sqlite3.Connection) -> dict:
    """The stored state, or ``{"epoch": 0, "announced": True}`` for a file never restored."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEY,)).fetchone()
    if not row:
        return {"epoch": 0, "announced": True}
    try:
        value = json.loads(row[0])
    except (TypeError, ValueError):
        return {"epoch": 0, "announced": True}
    if not isinstance(value, dict) or not isinstance(value.get("epoch"), int):
        return {"epoch": 0, "announced": True}
    return value


def current_epoch(conn: sqlite3.Connection) -> int:
    return int(epoch_state(conn)["epoch"])


def next_epoch(restored: int, replaced: int | None, when: dt.datetime) -> int:
    """The epoch a restore starts (see the module's docstring)."""
    candidates = [restored + 1, int(when.timestamp())]
    if replaced is not None:
        candidates.append(replaced + 1)
    return max(candidates)


def begin_epoch(conn: sqlite3.Connection, *, when: dt.datetime, backup_name: str, replaced_epoch: int | None) -> dict:
    """Inside the caller's transaction, on the restored file: start a new epoch and return its state.
    ``replaced_epoch``: the epoch of the file being replaced, None when it could not be read."""
    previous = current_epoch(conn)
    state = {
        "epoch": next_epoch(previous, replaced_epoch, when),
        "restored_at": when.isoformat(sep=" ", timespec="seconds"),
        "backup": backup_name,
        "previous": previous if replaced_epoch is None else max(previous, replaced_epoch),
        "announced": False,
    }
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEY, json.dumps(state, ensure_ascii=False)),
    )
    return state


def mark_announced(conn: sqlite3.Connection) -> None:
    """Inside the export's transaction: the restore has been told in a bundle."""
    state = epoch_state(conn)
    if state.get("announced", True):
        return
    state["announced"] = True
    conn.execute("UPDATE settings SET value = ? WHERE key = ?", (json.dumps(state, ensure_ascii=False), KEY))
