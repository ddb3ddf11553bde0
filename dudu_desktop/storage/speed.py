"""Migration ``0007_speed``: what keeps the registers fast at county scale (a million disputes).
Measured by ``bench/bench.py``; the figures and the reasoning are in ``docs/performance.md``.

* **Live indexes** (partial, ``WHERE deleted = 0``): every register list, count and statistic
  filters out tombstones, so an index that holds only live rows answers ``count(*)`` and the
  ordered pages without reading the table. Disputes get one per sortable column, each ending in
  ``registered_on, id`` — the list's order within equal values (see ``queries.sort_key``) — so a
  filter on that column and a sort by it use the same index. They replace the older full indexes
  on the same columns (the village index and ``registered_on``-only lookups keep theirs).
* **Open cases** (``disputes_open``): the few disputes still 待调处/调处中, by level and date — the
  home page's open-by-level and overdue figures, and the "open cases" list.
* **Follow-up visits due** (``dispute_followup_due``): the disputes 已办结 with result 调解成功 and
  no live follow-up visit, with their ``concluded_on``, kept by triggers on ``disputes`` and
  ``dispute_followups`` whoever writes them (a bundle import recomputes the disputes it touched
  in bulk instead: :func:`refresh_followup_due`, ``storage/bulk.py``). Counting them was a
  ``NOT EXISTS`` probe per concluded case (hundreds of thousands at county scale); now it is a
  range over a small table.
* **2-gram search index**: :func:`dudu_desktop.storage.search.migrate_0007_bigrams`.
"""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import search
from dudu_desktop.storage import vocab_sql as V
from dudu_desktop.storage.queries import SORT_EXPRESSIONS

#: index name → (table, columns); all ``WHERE deleted = 0``.
LIVE_INDEXES = {
    "disputes_live_registered": ("disputes", "registered_on, id"),
    "disputes_live_serial": ("disputes", "serial_no, registered_on, id"),
    "disputes_live_type": ("disputes", "dispute_type, registered_on, id"),
    "disputes_live_status": ("disputes", "status, registered_on, id"),
    "disputes_live_level": ("disputes", "level, registered_on, id"),
    "trainings_live_held": ("trainings", "held_on, id"),
    "hotline_live_called": ("hotline_calls", "called_at, id"),
    "publicity_live_held": ("publicity_events", "held_on, id"),
}
#: Superseded by the live indexes (every query on these columns also says ``deleted = 0``).
DROPPED = ("disputes_registered", "disputes_type", "disputes_status", "disputes_level")

_DUE = f"""
    DELETE FROM dispute_followup_due WHERE dispute_id = {{x}};
    INSERT INTO dispute_followup_due (dispute_id, concluded_on)
         SELECT d.id, d.concluded_on FROM disputes d
          WHERE d.id = {{x}} AND d.deleted = 0 AND d.status = {V.CONCLUDED} AND d.result = {V.SUCCESS}
            AND NOT EXISTS (SELECT 1 FROM dispute_followups fu WHERE fu.dispute_id = d.id AND fu.deleted = 0);"""

FOLLOWUP_DUE = [
    """CREATE TABLE dispute_followup_due (
        dispute_id TEXT PRIMARY KEY,
        concluded_on TEXT
    )""",
    "CREATE INDEX dispute_followup_due_concluded ON dispute_followup_due (concluded_on)",
    f"CREATE TRIGGER disputes_due_ai AFTER INSERT ON disputes BEGIN {_DUE.format(x='new.id')} END",
    f"""CREATE TRIGGER disputes_due_au AFTER UPDATE OF id, status, result, concluded_on, deleted ON disputes BEGIN
        DELETE FROM dispute_followup_due WHERE dispute_id = old.id; {_DUE.format(x='new.id')} END""",
    "CREATE TRIGGER disputes_due_ad AFTER DELETE ON disputes BEGIN "
    "DELETE FROM dispute_followup_due WHERE dispute_id = old.id; END",
    f"CREATE TRIGGER followups_due_ai AFTER INSERT ON dispute_followups BEGIN {_DUE.format(x='new.dispute_id')} END",
    f"""CREATE TRIGGER followups_due_au AFTER UPDATE OF dispute_id, deleted ON dispute_followups BEGIN
        {_DUE.format(x='old.dispute_id')} {_DUE.format(x='new.dispute_id')} END""",
    f"CREATE TRIGGER followups_due_ad AFTER DELETE ON dispute_followups BEGIN {_DUE.format(x='old.dispute_id')} END",
]


def migrate_0007_speed(conn: sqlite3.Connection) -> None:
    for name in DROPPED:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    for name, (table, cols) in LIVE_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {table} ({cols}) WHERE deleted = 0")
    conn.execute(f"CREATE INDEX disputes_open ON disputes (level, registered_on, id) WHERE deleted = 0 AND {V.IS_OPEN}")
    for statement in FOLLOWUP_DUE:
        conn.execute(statement)
    refill_followup_due(conn)
    search.migrate_0007_bigrams(conn)


def refill_followup_due(conn: sqlite3.Connection) -> None:
    """Recompute ``dispute_followup_due`` from the tables (the migration; a bulk load)."""
    conn.execute("DELETE FROM dispute_followup_due")
    conn.execute(f"""INSERT INTO dispute_followup_due (dispute_id, concluded_on)
                    SELECT d.id, d.concluded_on FROM disputes d
                     WHERE d.deleted = 0 AND d.status = {V.CONCLUDED} AND d.result = {V.SUCCESS}
                       AND NOT EXISTS (SELECT 1 FROM dispute_followups fu
                                        WHERE fu.dispute_id = d.id AND fu.deleted = 0)""")


def refresh_followup_due(conn: sqlite3.Connection, ids_table: str) -> None:
    """Recompute ``dispute_followup_due`` for the disputes whose ids are in ``ids_table (id)`` (what
    the triggers do row by row; a bulk load, see ``storage/bulk.py``)."""
    conn.execute(f"DELETE FROM dispute_followup_due WHERE dispute_id IN (SELECT id FROM {ids_table})")
    conn.execute(f"""INSERT INTO dispute_followup_due (dispute_id, concluded_on)
                    SELECT d.id, d.concluded_on FROM {ids_table} b JOIN disputes d ON d.id = b.id
                     WHERE d.deleted = 0 AND d.status = {V.CONCLUDED} AND d.result = {V.SUCCESS}
                       AND NOT EXISTS (SELECT 1 FROM dispute_followups fu
                                        WHERE fu.dispute_id = d.id AND fu.deleted = 0)""")


#: Migration ``0008_speed_stats``: covering indexes for the statistics (services/stats.py) — the year's
#: figures read a hundred thousand disputes at county scale; from these indexes, not from the table.
STATS_INDEXES = (
    "CREATE INDEX disputes_live_stats ON disputes (registered_on, dispute_type, status, level, concluded_on, "
    "village_code, prevented_criminal, prevented_criminal_people, prevented_petition, prevented_petition_people) "
    "WHERE deleted = 0",
    "CREATE INDEX disputes_live_concluded ON disputes (concluded_on, status, result, agreement, amount_cents, "
    "village_code) WHERE deleted = 0",
    "CREATE INDEX dispute_followups_live_visited ON dispute_followups (visited_on, satisfaction, village_code) "
    "WHERE deleted = 0",
)


def migrate_0008_speed_stats(conn: sqlite3.Connection) -> None:
    for statement in STATS_INDEXES:
        conn.execute(statement)


#: Migration ``0015_speed_stats_more`` (issue 14): the rest of the year's figures from covering indexes
#: too — the hotline calls (a quarter of a million at county scale), the training sessions and their
#: attendance, the publicity events — so ``services.stats`` reads no table row at all (``deleted`` is
#: in the columns though implied by the WHERE: SQLite counts an index as covering only with every column).
STATS_INDEXES_MORE = (
    "CREATE INDEX IF NOT EXISTS hotline_live_stats ON hotline_calls (called_at, channel, satisfaction, legal_aid, "
    "anonymous, category, referral, village_code, deleted) WHERE deleted = 0",
    "CREATE INDEX IF NOT EXISTS trainings_live_stats ON trainings (held_on, training_type, village_code, id, deleted) "
    "WHERE deleted = 0",
    "CREATE INDEX IF NOT EXISTS training_attendance_stats ON training_attendance (training_id, deleted, signed_in, "
    "exam_passed)",
    "CREATE INDEX IF NOT EXISTS publicity_live_stats ON publicity_events (held_on, form, audience, village_code, id, "
    "deleted) WHERE deleted = 0",
)


def migrate_0015_speed_stats_more(conn: sqlite3.Connection) -> None:
    for statement in STATS_INDEXES_MORE:
        conn.execute(statement)


def level_rank_index() -> str:
    """Migration ``0016_level_rank`` (issue 14): the disputes sorted by 预警 go by severity through a
    CASE expression (``queries.SORT_EXPRESSIONS``, issue 12), which no column index can order — at a
    million disputes every page of that sort was a 5-second sort of the whole table. An index on the
    same expression (SQLite matches the expression in ORDER BY and in the keyset comparison)."""
    rank = SORT_EXPRESSIONS[("disputes", "level")].format("level")
    return (
        f"CREATE INDEX IF NOT EXISTS disputes_live_level_rank ON disputes ({rank}, registered_on, id) WHERE deleted = 0"
    )


def migrate_0016_level_rank(conn: sqlite3.Connection) -> None:
    conn.execute(level_rank_index())
