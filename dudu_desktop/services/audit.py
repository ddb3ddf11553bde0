"""The audit trail: one entry per changed row, chained by SHA-256 so that editing or removing
an entry is detected by :func:`verify_chain`; each entry about a write also carries a digest of the
row's content after it (see :mod:`dudu_desktop.storage.chain`), so :func:`check` also sees register
rows and accounts edited outside the program, and a cut tail of the trail.

For callers that write rows themselves (bulk paths): append the entry, write the rows with
``change_seq`` = its sequence number, then call :func:`seal_rows` (reads the rows back) or
:func:`attach_digests` before the next entry is appended."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, TypedDict

from dudu_desktop.domain import fields as F
from dudu_desktop.i18n import _
from dudu_desktop.storage import blobs, chain
from dudu_desktop.storage.chain import GENESIS, HASHED_FIELDS, attach_digests, entry_hash, seal_rows, stored_digests  # noqa: F401
from dudu_desktop.storage.schema import RECORD_TABLES

#: Problems of one kind listed one by one before the rest are summed up.
MAX_LISTED = 20
SPECS = {
    s.name: s
    for s in (F.PERSON, F.DISPUTE, F.PARTY, F.FOLLOWUP, F.TRAINING, F.ATTENDANCE, F.HOTLINE, F.PUBLICITY, F.MATERIAL)
}


def diff(before: dict | None, after: dict | None) -> dict:
    """``{field: [before, after]}`` for the fields that changed."""
    before, after = before or {}, after or {}
    keys = [k for k in {**before, **after} if k not in ("version", "updated_at", "updated_by", "change_seq")]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


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
    """Append an entry (inside the caller's transaction); returns its sequence number."""
    return chain.append(
        conn,
        at=at,
        user=user,
        action=action,
        table_name=table_name,
        record_id=record_id,
        village_code=village_code,
        changes=changes,
        reason=reason,
        origin=origin,
        uid=uid,
    )


def row_digest(conn: sqlite3.Connection, table: str, record_id: str) -> str | None:
    """The digest of one stored row (register table or ``users``), None if there is no such row."""
    return stored_digests(conn, table, ids=[record_id]).get(record_id)


# --- check -----------------------------------------------------------------------------------------


class _ChainInfo(TypedDict):
    """What one pass over the chain tells the row checks."""

    last: int  # the newest seq (0: none)
    base: int | None  # the baseline entry's seq
    rows: dict[int, Any]  # seq of a batch entry → its side-table summary


def _chain_pass(conn: sqlite3.Connection) -> tuple[list[str], _ChainInfo]:
    """Problems of the chain itself, and what the row checks need: the newest seq, the baseline's
    seq and the side-table summaries of the batch entries."""
    problems = []
    prev = GENESIS
    expected_seq = None
    info: _ChainInfo = {"last": 0, "base": None, "rows": {}}
    for row in conn.execute("SELECT * FROM audit_log ORDER BY seq"):
        entry = dict(row)
        seq = entry["seq"]
        if expected_seq is not None and seq != expected_seq:
            problems.append(_("Audit entries {first} to {last} are missing.").format(first=expected_seq, last=seq - 1))
        if entry["prev_hash"] != prev:
            problems.append(_("Audit entry {seq} does not follow the one before it.").format(seq=seq))
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(_("Audit entry {seq} was altered.").format(seq=seq))
        if entry["action"] == chain.BASELINE_ACTION and info["base"] is None:
            info["base"] = seq
        if '"_rows"' in entry["changes"]:
            try:
                info["rows"][seq] = json.loads(entry["changes"]).get(chain.ROWS_KEY)
            except ValueError:
                pass
        prev = entry["hash"]
        expected_seq = seq + 1
        info["last"] = seq
    seq_row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='audit_log'").fetchone()
    if seq_row and expected_seq is not None and seq_row[0] >= expected_seq:
        problems.append(_("The newest audit entries (from {seq}) are missing.").format(seq=expected_seq))
    elif seq_row and expected_seq is None and seq_row[0] > 0:
        problems.append(_("All audit entries are missing."))
    if _has_table(conn, "audit_head"):
        anchor = conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
        if anchor is None and expected_seq is not None:
            problems.append(_("The record of the newest audit entry is missing."))
        elif anchor is not None and expected_seq is None:
            problems.append(_("All audit entries are missing."))
        elif anchor is not None and (anchor[0] != info["last"] or anchor[1] != prev):
            if anchor[0] > info["last"]:
                problems.append(_("The newest audit entries (from {seq}) are missing.").format(seq=info["last"] + 1))
            else:
                problems.append(
                    _("The newest audit entry {seq} does not match the record of the audit trail's end.").format(
                        seq=info["last"]
                    )
                )
    return problems, info


def _has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def verify_chain(conn: sqlite3.Connection) -> list[str]:
    """Problems found in the chain (empty when every entry is intact and none is missing)."""
    return _chain_pass(conn)[0]


class _Listing:
    """Problems of one kind: the first :data:`MAX_LISTED`, then a count of the rest."""

    def __init__(self, problems: list[str]):
        self.problems, self.listed, self.more = problems, 0, 0

    def add(self, message: str) -> None:
        if self.listed < MAX_LISTED:
            self.problems.append(message)
            self.listed += 1
        else:
            self.more += 1

    def finish(self) -> None:
        if self.more:
            self.problems.append(_("… and {n} more like this.").format(n=self.more))


def _record_label(table: str, record_id: str, serial: str | None) -> str:
    label = _(SPECS[table].label) if table in SPECS else _("Attachment") if table == chain.ATTACHMENTS else table
    if serial:
        return _("{table} No. {serial} (id {id})").format(table=label, serial=serial, id=record_id)
    return _("{table} (id {id})").format(table=label, id=record_id)


def verify_rows(conn: sqlite3.Connection, info: _ChainInfo | None = None) -> list[str]:
    """Every register row's content against the digest its newest audit entry (``change_seq``) recorded."""
    if not _has_table(conn, "audit_rows"):
        return []
    problems: list[str] = []
    problems_side, info = _verify_side_table(conn, info)
    problems += problems_side
    base, last = info["base"], info["last"]
    changed = _Listing(problems)
    attached = (chain.ATTACHMENTS,) if _has_table(conn, chain.ATTACHMENTS) else ()  # issue 16
    for table in (*RECORD_TABLES, *attached):
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        serial = "t.serial_no" if "serial_no" in cols else "NULL"
        sql = (
            f"SELECT t.id, t.change_seq, {chain.content_sql(table, 't')}, {serial}, a.seq, "
            f"CASE WHEN a.table_name = :t AND a.record_id = t.id AND json_valid(a.changes) "
            f"THEN json_extract(a.changes, '$._digest') END, r.digest, b.digest "
            f"FROM {table} t LEFT JOIN audit_log a ON a.seq = t.change_seq "
            f"LEFT JOIN audit_rows r ON r.seq = t.change_seq AND r.table_name = :t AND r.record_id = t.id "
            + (
                "LEFT JOIN audit_rows b ON b.seq = :base AND b.table_name = :t AND b.record_id = t.id"
                if base is not None
                else "LEFT JOIN (SELECT NULL AS digest) b"
            )
        )
        digest_text = chain.digest_text
        for rid, seq, content, number, entry, inline, batch, baseline in conn.execute(
            sql, {"t": table, "base": base if base is not None else -1}
        ):
            if entry is None:
                if seq is None or seq <= 0:
                    changed.add(
                        _("{record} is not in the audit trail (it was written outside the program).").format(
                            record=_record_label(table, rid, number)
                        )
                    )
                elif seq > last:
                    changed.add(
                        _(
                            "{record} was changed after the newest audit entry ({seq}): the end of the "
                            "audit trail was cut."
                        ).format(record=_record_label(table, rid, number), seq=seq)
                    )
                else:
                    changed.add(
                        _("{record}: its audit entry {seq} is missing.").format(
                            record=_record_label(table, rid, number), seq=seq
                        )
                    )
                continue
            expected = inline or batch or (baseline if base is not None and seq < base else None)
            if expected is None:
                changed.add(
                    _("{record} is not in the audit trail (it was written outside the program).").format(
                        record=_record_label(table, rid, number)
                    )
                )
            elif expected != digest_text(content):
                changed.add(
                    _(
                        "{record} was changed outside the program: its content differs from its audit entry {seq}."
                    ).format(record=_record_label(table, rid, number), seq=seq)
                )
    changed.finish()
    return problems


def _verify_side_table(conn: sqlite3.Connection, info: _ChainInfo | None) -> tuple[list[str], _ChainInfo]:
    if info is None:
        info = _chain_pass(conn)[1]
    problems = []
    summaries = info["rows"]
    seen = set()
    for (seq,) in conn.execute("SELECT DISTINCT seq FROM audit_rows"):
        seen.add(seq)
        if summaries.get(seq) != chain.rows_hash(conn, seq):
            problems.append(_("The row digests of audit entry {seq} were altered.").format(seq=seq))
    for seq, summary in summaries.items():
        if seq not in seen and summary and summary.get("n"):
            problems.append(_("The row digests of audit entry {seq} were altered.").format(seq=seq))
    return problems, info


def verify_accounts(conn: sqlite3.Connection, info: _ChainInfo | None = None) -> list[str]:
    """Every account against the digest its newest audit entry recorded: changed, removed or added
    outside the program."""
    if not _has_table(conn, "audit_rows"):
        return []
    if info is None:
        info = _chain_pass(conn)[1]
    expected: dict[str, str] = {}
    if info["base"] is not None:
        expected.update(
            conn.execute(
                "SELECT record_id, digest FROM audit_rows WHERE seq = ? AND table_name = ?", (info["base"], chain.USERS)
            ).fetchall()
        )
    created = set()
    for name, action, changes in conn.execute(
        "SELECT record_id, action, changes FROM audit_log WHERE table_name = 'users' ORDER BY seq"
    ):
        if action == "create_user":
            created.add(name)
        if '"_digest"' in changes:
            try:
                digest = json.loads(changes).get(chain.DIGEST_KEY)
            except ValueError:
                continue
            if digest:
                expected[name] = digest
    actual = stored_digests(conn, chain.USERS)
    problems = []
    for name in sorted(set(expected) | created):
        if name not in actual:
            problems.append(_("The account {name} was removed outside the program.").format(name=name))
        elif name in expected and actual[name] != expected[name]:
            problems.append(
                _("The account {name} (role, password or status) was changed outside the program.").format(name=name)
            )
    for name in sorted(set(actual) - set(expected) - created):
        problems.append(_("The account {name} was added outside the program.").format(name=name))
    return problems


def check(conn: sqlite3.Connection) -> list[str]:
    """Everything ``check`` verifies in the audit trail: the chain and its end, every register row and
    every account against the digests the trail recorded."""
    problems, info = _chain_pass(conn)
    problems += verify_rows(conn, info)
    problems += verify_accounts(conn, info)
    problems += verify_files(conn)
    return problems


def verify_files(conn: sqlite3.Connection) -> list[str]:
    """Attached files (issue 16): every attachment's file is stored, and every stored file still
    hashes to its SHA-256."""
    if not _has_table(conn, "blobs"):
        return []
    problems: list[str] = []
    listing = _Listing(problems)
    for attachment_id, sha in blobs.missing(conn):
        listing.add(_("The file {sha} of attachment {id} is missing.").format(sha=sha[:12], id=attachment_id))
    for sha in blobs.damaged(conn):
        listing.add(
            _(
                "The stored file {sha} was changed outside the program: its content no longer matches its SHA-256."
            ).format(sha=sha[:12])
        )
    listing.finish()
    return problems


def entries(
    conn: sqlite3.Connection,
    *,
    record_id: str | None = None,
    user: str | None = None,
    since: str | None = None,
    until: str | None = None,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
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
        if isinstance(d["changes"], dict):  # the row digests are for check, not for people
            d["changes"].pop(chain.DIGEST_KEY, None)
            d["changes"].pop(chain.ROWS_KEY, None)
        out.append(d)
    return out
