"""Generic row writes shared by every register's services: insert, update, delete, restore.

Each write bumps ``version``, stamps ``updated_at``/``updated_by``, appends one audit entry, sets
the row's ``change_seq`` to that entry's sequence number (the incremental export's cursor) and
records the digest of the row as stored in that entry (what ``check`` compares).
Callers hold the transaction (:func:`dudu_desktop.storage.db.transaction`).
"""

from __future__ import annotations

from dudu_desktop.domain.problems import NotFound, PermissionDenied, Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import audit
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction
from dudu_desktop.storage.ids import new_id
from dudu_desktop.storage.schema import RECORD_TABLES

COMMON_COLUMNS = (
    "id",
    "village_code",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "version",
    "deleted",
    "change_seq",
)


def _table(table: str) -> str:
    if table not in RECORD_TABLES:
        raise ValueError(f"not a record table: {table}")
    return table


def get_row(conn, table: str, record_id: str) -> dict | None:
    row = conn.execute(f"SELECT * FROM {_table(table)} WHERE id = ?", (record_id,)).fetchone()
    return dict(row) if row else None


def require_row(conn, table: str, record_id: str, *, include_deleted: bool = False) -> dict:
    row = get_row(conn, table, record_id)
    if row is None or (row["deleted"] and not include_deleted):
        raise NotFound(_("Record not found: {id}").format(id=record_id))
    return row


def check_version(row: dict, expected_version: int | None) -> None:
    if expected_version is not None and row["version"] != expected_version:
        raise Refused(
            _(
                "This record was changed by someone else in the meantime (version {theirs}, "
                "yours {mine}). Reopen it and make your change again."
            ).format(theirs=row["version"], mine=expected_version)
        )


def insert(ctx: Context, table: str, values: dict, *, action: str, village_code: str, reason: str = "") -> str:
    record_id = values.get("id") or new_id()
    now = ctx.now_text()
    row = {
        **values,
        "id": record_id,
        "village_code": village_code,
        "created_at": now,
        "updated_at": now,
        "created_by": ctx.user,
        "updated_by": ctx.user,
        "version": 1,
        "deleted": 0,
    }
    changes = {k: [None, v] for k, v in values.items() if v not in (None, "", 0) and k != "id"}
    row["change_seq"] = audit.append(
        ctx.conn,
        at=now,
        user=ctx.user,
        action=action,
        table_name=table,
        record_id=record_id,
        village_code=village_code,
        changes=changes,
        reason=reason,
    )
    cols = list(row)
    ctx.conn.execute(
        f"INSERT INTO {_table(table)} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [row[c] for c in cols]
    )
    audit.seal_rows(ctx.conn, row["change_seq"], table, [record_id])  # the row as stored, for check
    return record_id


def update(
    ctx: Context,
    table: str,
    record_id: str,
    changes: dict,
    *,
    action: str,
    reason: str = "",
    before: dict | None = None,
    include_deleted: bool = False,
) -> dict:
    """Write the fields that really changed; returns the row after. No change → no version bump."""
    before = before or require_row(ctx.conn, table, record_id, include_deleted=include_deleted)
    changed = {k: v for k, v in changes.items() if k not in COMMON_COLUMNS[:3] and before.get(k) != v}
    if not changed:
        return before
    return write_changes(ctx, _table(table), before, changed, action=action, reason=reason)


def write_changes(ctx: Context, table: str, before: dict, changed: dict, *, action: str, reason: str = "") -> dict:
    """The one way a stored row changes (records, attachments): an audit entry with the difference, the
    row written with its version bumped and stamped, its digest sealed into the entry. ``table`` is a
    checked table name; ``changed`` holds only fields that differ. Inside the caller's transaction."""
    now = ctx.now_text()
    seq = audit.append(
        ctx.conn,
        at=now,
        user=ctx.user,
        action=action,
        table_name=table,
        record_id=before["id"],
        village_code=before["village_code"],
        changes=audit.diff(before, {**before, **changed}),
        reason=reason,
    )
    after = {
        **before,
        **changed,
        "version": before["version"] + 1,
        "updated_at": now,
        "updated_by": ctx.user,
        "change_seq": seq,
    }
    sets = [k for k in after if k != "id" and after[k] != before.get(k)]
    ctx.conn.execute(
        f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
        [after[k] for k in sets] + [before["id"]],
    )
    audit.seal_rows(ctx.conn, seq, table, [before["id"]])
    return after


def exported_through(conn) -> int:
    """The audit sequence number the last bundle sent to the township reached (0: never exported)."""
    row = conn.execute("SELECT max(to_seq) FROM sync_exports").fetchone()
    return int(row[0] or 0)


def delete_refusal(ctx: Context, table: str, row: dict) -> str | None:
    """Why the acting user may not void (作废) this record, or ``None`` when they may (issue 12):
    an administrator may void any record; a clerk only one they entered today that has not gone
    to the township in a bundle yet (its first audit entry is after the last export's ``to_seq``)."""
    if ctx.can(Permission.DELETE):
        return None
    if not ctx.can(Permission.WRITE):
        return _("Your role ({role}) is not allowed to do this.").format(role=ctx.role)
    if row.get("created_by") != ctx.user or (row.get("created_at") or "")[:10] != ctx.today().isoformat():
        return _(
            "Your role ({role}) may void only a record you entered today; ask an administrator to void this one."
        ).format(role=ctx.role)
    first = ctx.conn.execute("SELECT min(seq) FROM audit_log WHERE record_id = ?", (row["id"],)).fetchone()[0]
    if first is not None and first <= exported_through(ctx.conn):
        return _(
            "This record has already been exported to the township, and your role ({role}) may not void "
            "it; ask an administrator."
        ).format(role=ctx.role)
    return None


def _reason(reason: str | None, message: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused(message)
    return reason


def delete_record(ctx: Context, table: str, record_id: str, reason: str = "") -> dict:
    """Tombstone (作废) a record: it stays in the file (and in bundles) but is hidden everywhere.
    A reason is required; who may is :func:`delete_refusal`."""
    if not ctx.can(Permission.DELETE):
        ctx.require(Permission.WRITE)  # a viewer: refused before anything else
    reason = _reason(reason, _("Give the reason for voiding this record."))
    with transaction(ctx.conn):
        row = require_row(ctx.conn, table, record_id)
        refusal = delete_refusal(ctx, table, row)
        if refusal:
            raise PermissionDenied(refusal)
        return update(ctx, table, record_id, {"deleted": 1}, action="delete", reason=reason, before=row)


def restore_record(ctx: Context, table: str, record_id: str, reason: str = "") -> dict:
    """Bring a voided record back (administrators only); a reason is required."""
    ctx.require(Permission.DELETE)
    reason = _reason(reason, _("Give the reason for restoring this record."))
    with transaction(ctx.conn):
        row = require_row(ctx.conn, table, record_id, include_deleted=True)
        if not row["deleted"]:
            raise Refused(_("This record is not deleted."))
        return update(
            ctx, table, record_id, {"deleted": 0}, action="restore", reason=reason, before=row, include_deleted=True
        )
