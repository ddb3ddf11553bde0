"""Migration ``0009_bulk_search`` and :class:`BulkLoad`: writing many register rows in one
transaction (a bundle import) with the derived tables maintained in bulk instead of per row.

The search triggers (trigram and 2-gram index, ``storage/search.py``) and the follow-ups-due
triggers (``storage/speed.py``) run a few statements per written row — the 2-gram ones a
recursive CTE per text column. For a bundle of 100,000 disputes that per-row work was most of
the import. From ``0009`` on, every one of these triggers carries ``WHEN NOT EXISTS (SELECT 1
FROM _bulk_load)``: while the one-row table ``_bulk_load`` holds its row they do nothing, and the
bulk loader brings the indexes up to date with one ``INSERT … SELECT`` per index over the ids it
wrote. The row is put in and taken out **inside the loader's transaction**, so no other
connection ever sees it and a crash or a rollback leaves none behind (WAL: the uncommitted row
vanishes with the rest).

Use (inside ``transaction(conn)``)::

    bulk = BulkLoad(conn)                 # sets the flag
    bulk.before_write(table, ids)         # before upserting those rows of ``table``
    ... INSERT … ON CONFLICT DO UPDATE ...
    bulk.finish()                         # index what was written, recompute follow-ups due, clear the flag

Tombstones are updates (``deleted = 1``); the search index holds tombstoned rows like the
triggers do (searches filter ``deleted = 0`` themselves). Hard deletes are not bulk operations
and keep their per-row triggers.
"""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import search, speed
from dudu_desktop.storage.registers import REGISTERS, meta

#: The flag table and the condition every derived-table trigger carries (defined with the search
#: triggers, which a rebuild of the index must recreate with it: ``search.bulk_aware_triggers``).
FLAG = search.BULK_FLAG
WHEN = search.SKIP_DURING_BULK
#: register table → register name (the tables with a search index)
SEARCHED = {meta(r).table: r for r in REGISTERS}


def _due_triggers(conn: sqlite3.Connection) -> None:
    for statement in speed.FOLLOWUP_DUE:
        if statement.startswith("CREATE TRIGGER"):
            name = statement.split()[2]
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            head, body = statement.split(" BEGIN", 1)
            conn.execute(f"{head} WHEN {WHEN} BEGIN{body}")


def migrate_0009_bulk_search(conn: sqlite3.Connection) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {FLAG} (one INTEGER PRIMARY KEY CHECK (one = 1))")
    conn.execute(f"DELETE FROM {FLAG}")
    search.bulk_aware_triggers(conn)
    _due_triggers(conn)


class BulkLoad:
    """Upserts into register tables with the search and follow-ups-due triggers off; see the module."""

    def __init__(self, conn: sqlite3.Connection):
        if not conn.in_transaction:
            raise RuntimeError("BulkLoad needs the caller's transaction")
        self.conn = conn
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _bulk_ids (tbl TEXT NOT NULL, id TEXT NOT NULL, "
            "PRIMARY KEY (tbl, id)) WITHOUT ROWID"
        )
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _bulk_due (id TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _bulk_one (id TEXT PRIMARY KEY) WITHOUT ROWID")
        for t in ("_bulk_ids", "_bulk_due", "_bulk_one"):
            conn.execute(f"DELETE FROM temp.{t}")
        conn.execute(f"INSERT OR IGNORE INTO {FLAG} (one) VALUES (1)")
        self.tables: list[str] = []
        self.suspended: list[str] = []

    def suspend_insert_triggers(self, tables) -> None:
        """For a load of new rows only (a spreadsheet import): drop, until :meth:`finish`, the AFTER
        INSERT triggers that the flag makes skip anyway. SQLite still enters a trigger's program for
        every row to test its ``WHEN`` (a frame per row): for 100,000 disputes that was about a third
        of the insert time. They are dropped and re-created from their own stored SQL inside the
        caller's transaction, so no other connection ever sees them missing and a rollback brings
        them back. Only triggers carrying the bulk condition are touched."""
        names = [f"{t}_search_ai" for t in tables if t in SEARCHED] + (
            ["disputes_due_ai"] if "disputes" in tables else []
        )
        for name in names:
            row = self.conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
            ).fetchone()
            if row and FLAG in row[0]:
                self.suspended.append(row[0])
                self.conn.execute(f"DROP TRIGGER {name}")

    def _load_one(self, table: str, ids) -> None:
        self.conn.execute("DELETE FROM temp._bulk_one")
        self.conn.executemany("INSERT OR IGNORE INTO temp._bulk_one (id) VALUES (?)", ((i,) for i in ids))

    def before_write(self, table: str, ids, *, new: bool = False) -> None:
        """Call before upserting the rows ``ids`` of ``table``: takes the rows' current text out of
        the search index and remembers which follow-ups-due entries they touch. ``new``: the ids
        are fresh ones (a spreadsheet import), so no row holds them yet and there is nothing to take out."""
        ids = list(ids)
        if not ids:
            return
        conn = self.conn
        if table not in self.tables:
            self.tables.append(table)
        if new:
            conn.executemany("INSERT OR IGNORE INTO temp._bulk_ids (tbl, id) VALUES (?, ?)", ((table, i) for i in ids))
            if table == "disputes":
                conn.executemany("INSERT OR IGNORE INTO temp._bulk_due (id) VALUES (?)", ((i,) for i in ids))
            return
        self._load_one(table, ids)
        conn.execute("INSERT OR IGNORE INTO temp._bulk_ids (tbl, id) SELECT ?, id FROM temp._bulk_one", (table,))
        if table in SEARCHED:
            search.bulk_unindex(conn, SEARCHED[table], "temp._bulk_one")
        if table == "disputes":
            conn.execute("INSERT OR IGNORE INTO temp._bulk_due (id) SELECT id FROM temp._bulk_one")
        elif table == "dispute_followups":  # the parent it had before (it may move)
            conn.execute(
                "INSERT OR IGNORE INTO temp._bulk_due (id) SELECT f.dispute_id FROM temp._bulk_one b "
                "JOIN dispute_followups f ON f.id = b.id"
            )

    def finish(self) -> None:
        """Index every row written, recompute the follow-ups due of the disputes touched, clear the flag."""
        conn = self.conn
        for table in self.tables:
            if table in SEARCHED:
                conn.execute("DELETE FROM temp._bulk_one")
                conn.execute("INSERT INTO temp._bulk_one (id) SELECT id FROM temp._bulk_ids WHERE tbl = ?", (table,))
                search.bulk_index(conn, SEARCHED[table], "temp._bulk_one")
        conn.execute(
            "INSERT OR IGNORE INTO temp._bulk_due (id) SELECT f.dispute_id FROM temp._bulk_ids b "
            "JOIN dispute_followups f ON f.id = b.id WHERE b.tbl = 'dispute_followups'"
        )
        speed.refresh_followup_due(conn, "temp._bulk_due")
        for sql in self.suspended:
            conn.execute(sql)
        self.suspended = []
        conn.execute(f"DELETE FROM {FLAG}")
        for t in ("_bulk_ids", "_bulk_due", "_bulk_one"):
            conn.execute(f"DELETE FROM temp.{t}")
