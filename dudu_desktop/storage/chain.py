"""The audit chain's primitives, shared by :mod:`dudu_desktop.services.audit` and migration
``0010_audit_rows`` (which cannot import services).

* **Entries** are chained by SHA-256 over :data:`HASHED_FIELDS` (unchanged since the first version,
  so every old entry still verifies).
* **Row digests**: every write of a register row or an account records, inside the ``changes`` of
  its (chained) audit entry, a digest of the row's content after the write — ``changes["_digest"]``
  for an entry about one row, or, for a batch entry (bundle import, benchmark data, the baseline),
  ``changes["_rows"] = {"n": count, "hash": sha256}`` over the entry's rows in the side table
  ``audit_rows (seq, table_name, record_id, digest)``. ``check`` recomputes every row's digest and
  compares it with the entry its ``change_seq`` names.
* **The head** (sequence number and hash of the newest entry) is kept in ``audit_head``, rewritten
  in every audit transaction, so cutting the newest entries is seen even when ``sqlite_sequence``
  was lowered too.

The digest of a row is BLAKE2b-128 of SQLite's ``json_array`` of the columns in :func:`digest_columns`
— every column of the table as first created (business fields, ``id``, ``village_code``, the
created/updated stamps, ``version``, ``deleted``), not the local bookkeeping added later
(``change_seq``, ``sync_base_version``) — and, appended when not empty, the business fields added
since (:data:`~dudu_desktop.storage.migrations.m0014_agreement_fields.DIGESTED_WHEN_SET`: a party's
occupation, the place of performance), so that digests recorded before they existed stay valid
without being recomputed. SQLite renders the JSON, so a digest computed at write time
and at ``check`` time come from the same stored values; REAL columns are printed with 6 decimals.
For accounts: user name, display name, role, password hash, must-change flag and disabled flag (not
the failed-log-in counter nor ``locked_until``, which change at every failed log-in).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import sqlite3

from dudu_desktop.storage.ids import new_id
from dudu_desktop.storage.migrations.m0001_initial import INITIAL, RECORD_TABLES
from dudu_desktop.storage.migrations.m0013_attachments import ATTACHMENTS_TABLE
from dudu_desktop.storage.migrations.m0014_agreement_fields import DIGESTED_WHEN_SET

#: Audited like the registers (row digests), created later than 0001 (issue 16).
ATTACHMENTS = "attachments"

GENESIS = "0" * 64
HASHED_FIELDS = (
    "uid",
    "at",
    "user",
    "action",
    "table_name",
    "record_id",
    "village_code",
    "changes",
    "reason",
    "origin",
)
USERS = "users"
USER_COLUMNS = ("username", "display_name", "role", "password_hash", "must_change_password", "disabled")
DIGEST_KEY, ROWS_KEY = "_digest", "_rows"
BASELINE_ACTION = "audit_baseline"
CHUNK = 500

AUDIT_ROWS_SQL = """
CREATE TABLE audit_rows (
    seq INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (seq, table_name, record_id)
) WITHOUT ROWID;
CREATE TABLE audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_users ON audit_log (record_id, seq) WHERE table_name = 'users'
"""


def entry_hash(prev_hash: str, entry: dict) -> str:
    payload = json.dumps([entry[k] for k in HASHED_FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def dump_changes(changes: dict | None) -> str:
    return json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=str)


# --- row digests -------------------------------------------------------------------------------


@functools.cache
def _initial_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """(name, declared type) of every register table as created by migration 0001 (never edited)."""
    mem = sqlite3.connect(":memory:")
    try:
        for statement in INITIAL.split(";\n"):
            if statement.strip():
                mem.execute(statement)
        mem.execute(ATTACHMENTS_TABLE)  # as first created by migration 0013 (never edited)
        return {
            t: tuple((r[1], r[2].upper()) for r in mem.execute(f"PRAGMA table_info({t})"))
            for t in (*RECORD_TABLES, ATTACHMENTS)
        }
    finally:
        mem.close()


def digest_columns(table: str) -> tuple[str, ...]:
    """The columns a row's digest covers (see the module's docstring)."""
    if table == USERS:
        return USER_COLUMNS
    return tuple(name for name, _type in _initial_columns()[table] if name != "change_seq")


def key_column(table: str) -> str:
    return "username" if table == USERS else "id"


@functools.cache
def content_sql(table: str, alias: str = "", *, added: bool = True) -> str:
    """The SQL expression whose text is hashed: ``json_array(col, …)`` (REAL columns as %.6f), the
    columns added later (:data:`DIGESTED_WHEN_SET`) appended when one of them is not ``''``.
    ``added=False``: the columns as first created only (migration 0010, which runs before they exist)."""
    if table != USERS and table != ATTACHMENTS and table not in RECORD_TABLES:
        raise ValueError(f"not an audited table: {table}")
    prefix = f"{alias}." if alias else ""
    types = dict(_initial_columns().get(table, ()))
    parts = []
    for c in digest_columns(table):
        if any(k in types.get(c, "") for k in ("REAL", "FLOA", "DOUB")):
            parts.append(f"iif(typeof({prefix}{c}) = 'real', printf('%.6f', {prefix}{c}), {prefix}{c})")
        else:
            parts.append(f"{prefix}{c}")
    first = f"json_array({', '.join(parts)})"
    later = DIGESTED_WHEN_SET.get(table, ()) if added else ()
    if not later:
        return first
    when = " OR ".join(f"{prefix}{c} IS NOT ''" for c in later)
    return f"CASE WHEN {when} THEN json_array({', '.join([*parts, *(prefix + c for c in later)])}) ELSE {first} END"


def digest_text(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def stored_digests(
    conn: sqlite3.Connection, table: str, *, ids=None, change_seq: int | None = None, after_rowid: int | None = None
) -> dict[str, str]:
    """``{id: digest}`` of rows as stored: by ``ids``, by ``change_seq``, by rowid > ``after_rowid``,
    or (none given) every row of the table."""
    key = key_column(table)
    base = f"SELECT {key}, {content_sql(table)} FROM {table}"
    if ids is not None:
        ids = list(ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            out.update(
                (k, digest_text(j))
                for k, j in conn.execute(f"{base} WHERE {key} IN ({', '.join('?' * len(part))})", part)
            )
        return out
    if change_seq is not None:
        rows = conn.execute(f"{base} WHERE change_seq = ?", (change_seq,))
    elif after_rowid is not None:
        rows = conn.execute(f"{base} WHERE rowid > ?", (after_rowid,))
    else:
        rows = conn.execute(base)
    return {k: digest_text(j) for k, j in rows}


def rows_hash(conn: sqlite3.Connection, seq: int) -> dict:
    """``{"n", "hash"}`` over the side-table rows of entry ``seq`` (in key order)."""
    h = hashlib.sha256()
    n = 0
    for table, rid, digest in conn.execute(
        "SELECT table_name, record_id, digest FROM audit_rows WHERE seq = ? ORDER BY table_name, record_id", (seq,)
    ):
        h.update(f"{table}\t{rid}\t{digest}\n".encode())
        n += 1
    return {"n": n, "hash": h.hexdigest()}


# --- appending -----------------------------------------------------------------------------------


def head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def write_head(conn: sqlite3.Connection, seq: int, hash_: str) -> None:
    conn.execute(
        "INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET "
        "seq = excluded.seq, hash = excluded.hash",
        (seq, hash_),
    )


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    user: str,
    action: str,
    table_name: str = "",
    record_id: str = "",
    village_code: str = "",
    changes: dict | None = None,
    reason: str = "",
    origin: str = "",
    uid: str | None = None,
) -> int:
    """Append an entry (inside the caller's transaction) and move the head; returns its sequence number."""
    last = head(conn)
    prev = last[1] if last else GENESIS
    entry = {
        "uid": uid or new_id(),
        "at": at,
        "user": user,
        "action": action,
        "table_name": table_name,
        "record_id": record_id,
        "village_code": village_code,
        "changes": dump_changes(changes),
        "reason": reason or "",
        "origin": origin,
    }
    entry["prev_hash"] = prev
    entry["hash"] = entry_hash(prev, entry)
    cur = conn.execute(
        "INSERT INTO audit_log (uid, at, user, action, table_name, record_id, village_code, changes, reason,"
        " origin, prev_hash, hash) VALUES (:uid, :at, :user, :action, :table_name, :record_id, :village_code,"
        " :changes, :reason, :origin, :prev_hash, :hash)",
        entry,
    )
    seq = cur.lastrowid
    if seq is None:  # an INSERT into a rowid table always sets it
        raise sqlite3.DatabaseError("the audit entry was not written")
    write_head(conn, seq, entry["hash"])
    return seq


def _rewrite(conn: sqlite3.Connection, entry: dict, changes: dict) -> None:
    """New ``changes`` for the newest entry: re-hash it and move the head."""
    entry["changes"] = dump_changes(changes)
    entry["hash"] = entry_hash(entry["prev_hash"], entry)
    conn.execute(
        "UPDATE audit_log SET changes = ?, hash = ? WHERE seq = ?", (entry["changes"], entry["hash"], entry["seq"])
    )
    write_head(conn, entry["seq"], entry["hash"])


def attach_digests(conn: sqlite3.Connection, seq: int, table: str, digests: dict[str, str]) -> None:
    """Record the digests of rows just written under entry ``seq`` (the newest entry, in the same
    transaction): inline for the entry's own row, else in ``audit_rows``; the entry is re-hashed."""
    if not digests:
        return
    row = conn.execute("SELECT * FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    last = head(conn)
    if row is None or last is None or last[0] != seq:
        raise RuntimeError(f"audit entry {seq} is not the newest: digests must follow their entry")
    entry = dict(row)
    changes = json.loads(entry["changes"])
    if len(digests) == 1 and ROWS_KEY not in changes and entry["table_name"] == table and entry["record_id"] in digests:
        changes[DIGEST_KEY] = digests[entry["record_id"]]
    else:
        conn.executemany(
            "INSERT OR REPLACE INTO audit_rows (seq, table_name, record_id, digest) VALUES (?, ?, ?, ?)",
            [(seq, table, rid, d) for rid, d in digests.items()],
        )
        changes[ROWS_KEY] = rows_hash(conn, seq)
    _rewrite(conn, entry, changes)


def seal_rows(conn: sqlite3.Connection, seq: int, table: str, ids=None, *, after_rowid: int | None = None) -> None:
    """Read back the rows written under entry ``seq`` (by ``ids``; by rowid > ``after_rowid``; or
    every row whose ``change_seq`` is ``seq``) and record their digests (:func:`attach_digests`)."""
    if ids is not None:
        digests = stored_digests(conn, table, ids=ids)
    elif after_rowid is not None:
        digests = stored_digests(conn, table, after_rowid=after_rowid)
    else:
        digests = stored_digests(conn, table, change_seq=seq)
    attach_digests(conn, seq, table, digests)


# --- migration 0010 --------------------------------------------------------------------------------


def migrate_0010_audit_rows(conn: sqlite3.Connection) -> None:
    """The side table and the head; on a file with history, one ``audit_baseline`` entry with the
    digests of every row and account as they are now (entries written before carry no digest)."""
    for statement in AUDIT_ROWS_SQL.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    last = head(conn)
    if last is None:
        return
    write_head(conn, *last)
    now = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
    tables = (*RECORD_TABLES, USERS)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    seq = append(
        conn,
        at=now,
        user="",
        action=BASELINE_ACTION,
        changes={"rows": {t: n for t, n in counts.items() if n}},
        reason="digests of every record and account before the audit trail recorded them",
    )
    conn.create_function("dudu_row_digest", 1, digest_text, deterministic=True)
    for table in tables:  # streamed in SQL: a million rows never sit in memory
        content = content_sql(table, added=False)  # the columns of 0014 do not exist yet
        conn.execute(
            f"INSERT INTO audit_rows (seq, table_name, record_id, digest) "
            f"SELECT ?, ?, {key_column(table)}, dudu_row_digest({content}) FROM {table}",
            (seq, table),
        )
    entry = dict(conn.execute("SELECT * FROM audit_log WHERE seq = ?", (seq,)).fetchone())
    changes = json.loads(entry["changes"])
    changes[ROWS_KEY] = rows_hash(conn, seq)
    _rewrite(conn, entry, changes)
