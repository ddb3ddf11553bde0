"""Dispute screening and mediation (矛盾纠纷排查调处): one function per user action.

Workflow: 待调处 → 调处中 → 已办结 (调解成功 / 调解不成 / 撤回) → 已销号; a 已销号 case is
read-only until reopened with a reason. The warning level changes only with a reason.
"""

from __future__ import annotations

from dudu_desktop.domain import vocab, workflow
from dudu_desktop.domain.fields import DISPUTE, FOLLOWUP, PARTY
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.validate import (
    agreement_problems,
    clean_record,
    party_problems,
    reason_problems,
    record_problems,
    status_change_problems,
)
from dudu_desktop.domain.vocab import DisputeResult, DisputeStatus, Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction

#: Fields set only through their own actions (status, result and level have workflows of their own).
WORKFLOW_FIELDS = ("status", "result", "concluded_on", "closed_out_on", "level")


def clean_parties(parties: list[dict], *, today, clean=clean_record) -> tuple[list[dict], list[Problem]]:
    """The parties of a case checked field by field (``clean``: :func:`clean_record`, or a caching
    equivalent for bulk import) and together; problems named ``parties[i].field``."""
    cleaned, problems = [], []
    for i, party in enumerate(parties):
        values, found = clean(PARTY, party, today=today)
        values["person_id"] = party.get("person_id") or None
        if party.get("id"):
            values["id"] = party["id"]
        cleaned.append(values)
        problems += [
            Problem(f"parties[{i}].{p.field}", _("Party {n}: {message}").format(n=i + 1, message=p.message))
            for p in found
        ]
    return cleaned, problems + party_problems(cleaned)


def party_names(parties: list[dict]) -> str:
    """The parties' names in one column (``张三、李四``) for lists, ledgers and search."""
    return "、".join(p["name"] for p in parties if p.get("name"))


def _next_serial(conn, village_code: str, year: str) -> str:
    row = conn.execute(
        "SELECT max(serial_no) FROM disputes WHERE village_code = ? AND serial_no LIKE ?", (village_code, f"{year}-%")
    ).fetchone()
    last = int(row[0].split("-")[1]) if row and row[0] else 0
    return f"{year}-{last + 1:03d}"


def create_dispute(ctx: Context, data: dict, parties: list[dict]) -> str:
    """Register a dispute with its parties. Returns the new id."""
    ctx.require(Permission.WRITE)
    data = {"status": DisputeStatus.PENDING, "level": vocab.WarningLevel.BLUE, **data}
    values, problems = clean_record(DISPUTE, data, today=ctx.today())
    party_rows, party_found = clean_parties(parties, today=ctx.today())
    problems += party_found + record_problems(DISPUTE.name, values) + agreement_problems(values)
    if values.get("status") == DisputeStatus.CLOSED_OUT:
        problems.append(Problem("status", _("A new case cannot be registered as closed out.")))
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        village = site.default_village_code(ctx.conn, data.get("village_code"))
        values["serial_no"] = data.get("serial_no") or _next_serial(ctx.conn, village, values["registered_on"][:4])
        values["level_reason"] = (data.get("level_reason") or "").strip()
        values["party_names"] = party_names(party_rows)
        dispute_id = records.insert(ctx, "disputes", values, action="create_dispute", village_code=village)
        for position, party in enumerate(party_rows):
            records.insert(
                ctx,
                "dispute_parties",
                {**party, "dispute_id": dispute_id, "position": position},
                action="create_dispute",
                village_code=village,
            )
    return dispute_id


def get_dispute(conn, dispute_id: str) -> dict:
    """The dispute with its ``parties`` and ``followups`` (deleted ones left out)."""
    row = records.require_row(conn, "disputes", dispute_id)
    row["parties"] = [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM dispute_parties WHERE dispute_id = ? AND deleted = 0 ORDER BY position", (dispute_id,)
        )
    ]
    row["followups"] = [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM dispute_followups WHERE dispute_id = ? AND deleted = 0 ORDER BY visited_on", (dispute_id,)
        )
    ]
    return row


def _writable(row: dict) -> None:
    if row["status"] == DisputeStatus.CLOSED_OUT:
        raise Refused(Problem("status", _("This case is closed out and read-only; reopen it with a reason first.")))


def update_dispute(
    ctx: Context, dispute_id: str, data: dict, parties: list[dict] | None = None, *, expected_version: int | None = None
) -> dict:
    """Edit a dispute's details (and, when given, replace its list of parties)."""
    ctx.require(Permission.WRITE)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "disputes", dispute_id)
        records.check_version(before, expected_version)
        _writable(before)
        editable = {k: v for k, v in data.items() if k in DISPUTE.keys and k not in WORKFLOW_FIELDS}
        values, problems = clean_record(DISPUTE, editable, today=ctx.today(), partial=True)
        problems += record_problems(DISPUTE.name, {**before, **values})
        if "agreement_terms" in values:  # an edit of the terms of a concluded 调解成功 case
            problems += agreement_problems({**before, **values})
        party_rows = None
        if parties is not None:
            party_rows, found = clean_parties(parties, today=ctx.today())
            problems += found
        if problems:
            raise Refused(problems)
        if party_rows is not None:
            values["party_names"] = party_names(party_rows)
        after = records.update(ctx, "disputes", dispute_id, values, action="update_dispute", before=before)
        if party_rows is not None:
            _replace_parties(ctx, dispute_id, before["village_code"], party_rows)
    return after


def _replace_parties(ctx: Context, dispute_id: str, village: str, party_rows: list[dict]) -> None:
    existing = {
        r["id"]: dict(r)
        for r in ctx.conn.execute("SELECT * FROM dispute_parties WHERE dispute_id = ? AND deleted = 0", (dispute_id,))
    }
    kept = set()
    for position, party in enumerate(party_rows):
        party = {**party, "position": position}
        pid = party.pop("id", None)
        if pid in existing:
            kept.add(pid)
            records.update(ctx, "dispute_parties", pid, party, action="update_dispute", before=existing[pid])
        else:
            records.insert(
                ctx,
                "dispute_parties",
                {**party, "dispute_id": dispute_id},
                action="update_dispute",
                village_code=village,
            )
    for pid, row in existing.items():
        if pid not in kept:
            records.update(ctx, "dispute_parties", pid, {"deleted": 1}, action="update_dispute", before=row)


def start_mediation(ctx: Context, dispute_id: str, *, method: str | None = None, mediator: str | None = None) -> dict:
    """待调处 → 调处中."""
    changes = {}
    if method:
        changes["method"] = method
    if mediator:
        changes["mediator"] = mediator
    return change_status(ctx, dispute_id, DisputeStatus.MEDIATING, **changes)


def conclude(
    ctx: Context,
    dispute_id: str,
    *,
    result: str,
    concluded_on=None,
    agreement: bool | None = None,
    agreement_terms: str = "",
    amount=None,
    performance_terms: str = "",
    place_of_performance: str = "",
) -> dict:
    """Record the outcome: 调解成功 (with agreement terms and amount, the manner, time and place of
    performance), 调解不成 or 撤回 → 已办结."""
    if agreement is None:
        agreement = result == DisputeResult.SUCCESS
    return change_status(
        ctx,
        dispute_id,
        DisputeStatus.CONCLUDED,
        result=result,
        concluded_on=concluded_on or ctx.today().isoformat(),
        agreement=agreement,
        agreement_terms=agreement_terms,
        amount_cents=amount,
        performance_terms=performance_terms,
        place_of_performance=place_of_performance,
    )


def close_out(ctx: Context, dispute_id: str, *, closed_out_on=None) -> dict:
    """已办结 → 已销号 (销号): the case becomes read-only."""
    return change_status(
        ctx, dispute_id, DisputeStatus.CLOSED_OUT, closed_out_on=closed_out_on or ctx.today().isoformat()
    )


def change_status(ctx: Context, dispute_id: str, status: str, *, reason: str = "", **fields) -> dict:
    """Move a case along its workflow, with the fields that go with the new status."""
    ctx.require(Permission.WRITE)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "disputes", dispute_id)
        problems = status_change_problems(before["status"], status)
        if problems:
            raise Refused(problems)
        values, problems = clean_record(DISPUTE, {**fields, "status": status}, today=ctx.today(), partial=True)
        merged = {**before, **values}
        problems += record_problems(DISPUTE.name, merged)
        if status == DisputeStatus.CONCLUDED:  # the outcome stated now: 调解成功 needs its terms
            problems += agreement_problems(merged)
        if status == DisputeStatus.CONCLUDED and not values.get("result"):
            problems.append(
                Problem("result", _("A concluded case needs its result (mediation succeeded, failed or withdrawn)."))
            )
        if status == DisputeStatus.CLOSED_OUT and not merged.get("closed_out_on"):
            problems.append(Problem("closed_out_on", _("{field} is required.").format(field=_("Close-out date"))))
        if problems:
            raise Refused(problems)
        action = {
            DisputeStatus.MEDIATING: "start_mediation",
            DisputeStatus.CONCLUDED: "conclude",
            DisputeStatus.CLOSED_OUT: "close_out",
        }[DisputeStatus(status)]
        return records.update(ctx, "disputes", dispute_id, values, action=action, reason=reason, before=before)


def reopen(ctx: Context, dispute_id: str, reason: str) -> dict:
    """已办结/已销号 → 调处中, with a reason (the earlier result stays in the audit trail)."""
    ctx.require(Permission.REOPEN)
    problems = reason_problems(reason)
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "disputes", dispute_id)
        if not workflow.action_allowed(workflow.REOPEN, before["status"]):
            raise Refused(Problem("status", _("Only a concluded or closed-out case can be reopened.")))
        changes = {
            "status": DisputeStatus.MEDIATING,
            "result": "",
            "concluded_on": None,
            "closed_out_on": None,
            "agreement": 0,
        }
        return records.update(
            ctx, "disputes", dispute_id, changes, action="reopen", reason=reason.strip(), before=before
        )


def change_level(ctx: Context, dispute_id: str, level: str, reason: str) -> dict:
    """Raise or lower the warning level (红/黄/蓝); a reason is required for every change."""
    ctx.require(Permission.WRITE)
    problems = reason_problems(reason)
    if level not in tuple(vocab.WarningLevel):
        problems.append(Problem("level", _("The warning level must be red, yellow or blue.")))
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "disputes", dispute_id)
        _writable(before)  # (workflow.LEVEL: any status but closed out)
        if before["level"] == level:
            raise Refused(Problem("level", _("The case is already at this warning level.")))
        return records.update(
            ctx,
            "disputes",
            dispute_id,
            {"level": level, "level_reason": reason.strip()},
            action="change_level",
            reason=reason.strip(),
            before=before,
        )


def record_followup(ctx: Context, dispute_id: str, data: dict) -> str:
    """回访: a follow-up visit after the case was concluded."""
    ctx.require(Permission.WRITE)
    values, problems = clean_record(FOLLOWUP, data, today=ctx.today())
    with transaction(ctx.conn):
        dispute = records.require_row(ctx.conn, "disputes", dispute_id)
        _writable(dispute)
        if not workflow.action_allowed(workflow.FOLLOWUP, dispute["status"]):
            problems.append(Problem("", _("A follow-up visit can be recorded once the case is concluded.")))
        elif values.get("visited_on") and dispute["concluded_on"] and values["visited_on"] < dispute["concluded_on"]:
            problems.append(Problem("visited_on", _("The visit cannot be before the case was concluded.")))
        if problems:
            raise Refused(problems)
        return records.insert(
            ctx,
            "dispute_followups",
            {**values, "dispute_id": dispute_id},
            action="record_followup",
            village_code=dispute["village_code"],
        )
