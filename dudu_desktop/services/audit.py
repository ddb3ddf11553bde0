"""The audit trail: one entry per changed row, chained by SHA-256 so that editing or removing
an entry is detected by :func:`verify_chain`."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from dudu_desktop.storage.ids import new_id

GENESIS = "0" * 64
HASHED_FIELDS = ("uid", "at", "user", "action", "table_name", "record_id", "village_code", "changes",
                 "reason", "origin")


def entry_hash(prev_hash: str, entry: dict) -> str:
    payload = json.dumps([entry[k] for k in HASHED_FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def diff(before: dict | None, after: dict | None) -> dict:
    """``{field: [before, after]}`` for the fields that changed."""
    before, after = before or {}, after or {}
    keys = [k for k in {**before, **after} if k not in ("version", "updated_at", "updated_by", "change_seq")]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def append(conn: sqlite3.Connection, *, at: str, user: str, action: str, table_name: str = "",
           record_id: str = "", village_code: str = "", changes: dict | None = None, reason: str = "",
           origin: str = "", uid: str | None = None) -> int:
    """Append an entry (inside the caller's transaction); returns its sequence number."""
    last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    entry = {"uid": uid or new_id(), "at": at, "user": user, "action": action, "table_name": table_name,
             "record_id": record_id, "village_code": village_code,
             "changes": json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=str),
             "reason": reason or "", "origin": origin}
    entry["prev_hash"] = prev
    entry["hash"] = entry_hash(prev, entry)
    cur = conn.execute(
        "INSERT INTO audit_log (uid, at, user, action, table_name, record_id, village_code, changes, reason,"
        " origin, prev_hash, hash) VALUES (:uid, :at, :user, :action, :table_name, :record_id, :village_code,"
        " :changes, :reason, :origin, :prev_hash, :hash)", entry)
    return cur.lastrowid


def verify_chain(conn: sqlite3.Connection) -> list[str]:
    """Problems found in the chain (empty when every entry is intact and none is missing)."""
    problems = []
    prev = GENESIS
    expected_seq = None
    for row in conn.execute("SELECT * FROM audit_log ORDER BY seq"):
        entry = dict(row)
        if expected_seq is not None and entry["seq"] != expected_seq:
            problems.append(f"audit entries {expected_seq}..{entry['seq'] - 1} are missing")
        if entry["prev_hash"] != prev:
            problems.append(f"audit entry {entry['seq']} does not follow the one before it")
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(f"audit entry {entry['seq']} was altered")
        prev = entry["hash"]
        expected_seq = entry["seq"] + 1
    seq_row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='audit_log'").fetchone()
    if seq_row and expected_seq is not None and seq_row[0] >= expected_seq:
        problems.append(f"the last audit entries (from {expected_seq}) are missing")
    elif seq_row and expected_seq is None and seq_row[0] > 0:
        problems.append("all audit entries are missing")
    return problems


def entries(conn: sqlite3.Connection, *, record_id: str | None = None, user: str | None = None,
            since: str | None = None, until: str | None = None, action: str | None = None,
            limit: int = 100, offset: int = 0) -> list[dict]:
    """Newest first, filtered by record, user and date (``since``/``until`` as ``YYYY-MM-DD``)."""
    where, args = [], []
    if record_id:
        where.append("record_id = ?")
        args.append(record_id)
    if user:
        where.append("user = ?")
        args.append(user)
    if action:
        where.append("action = ?")
        args.append(action)
    if since:
        where.append("at >= ?")
        args.append(since)
    if until:
        where.append("at < date(?, '+1 day')")
        args.append(until)
    sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY seq DESC LIMIT ? OFFSET ?"
    rows = conn.execute(sql, [*args, limit, offset]).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["changes"] = json.loads(d["changes"])
        out.append(d)
    return out
