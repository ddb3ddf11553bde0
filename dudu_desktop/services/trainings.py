"""Legal training and study sessions (法治培训/学法) with their roster, sign-in and exam results."""

from __future__ import annotations

import datetime as dt

from dudu_desktop.domain.fields import ATTENDANCE, TRAINING
from dudu_desktop.domain.problems import NotFound, Problem, Refused
from dudu_desktop.domain.validate import clean_record, record_problems
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction


def create_training(ctx: Context, data: dict, roster: list[dict] | None = None) -> str:
    """A session, optionally with the people invited (``[{name, position, phone, person_id}]``)."""
    ctx.require(Permission.WRITE)
    values, problems = clean_record(TRAINING, data, today=_latest_date(ctx))
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        village = site.default_village_code(ctx.conn, data.get("village_code"))
        training_id = records.insert(ctx, "trainings", values, action="create_training", village_code=village)
        _invite(ctx, training_id, village, roster or [])
    return training_id


def _latest_date(ctx: Context) -> dt.date:
    # A session may be planned up to a year ahead (its sign-in sheet is printed before it is held).
    return ctx.today() + dt.timedelta(days=366)


def update_training(ctx: Context, training_id: str, data: dict, *, expected_version: int | None = None) -> dict:
    ctx.require(Permission.WRITE)
    values, problems = clean_record(
        TRAINING, {k: v for k, v in data.items() if k in TRAINING.keys}, today=_latest_date(ctx), partial=True
    )
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "trainings", training_id)
        records.check_version(before, expected_version)
        return records.update(ctx, "trainings", training_id, values, action="update_training", before=before)


def save_training(
    ctx: Context, training_id: str | None, data: dict, roster: list[dict] | None = None, version: int | None = None
) -> str:
    """The training editor's save, all or nothing: the session's details (a new one when
    ``training_id`` is None, else an update refused if the stored ``version`` moved on) and its
    roster as the user left it, ``[{name, position, phone, person_id, signed_in, exam_score}]``.

    The roster is diffed against the stored one by name: new names are invited (already ticked and
    scored if so given), a stored person's position, phone, sign-in and score are written where they
    differ (unticking clears the exam result; an empty score clears a stored score; an entry without
    an ``exam_score`` key leaves it as it is). A stored person left out of the roster is refused:
    they stay and are unticked instead. ``roster=None`` leaves the roster alone. Every problem of the
    details and of every roster row is found before anything is written; one audit entry per row
    written. Returns the session's id."""
    ctx.require(Permission.WRITE)
    with transaction(ctx.conn):
        if training_id is None:
            before, stored = None, {}
            values, problems = clean_record(TRAINING, data, today=_latest_date(ctx))
            village = site.default_village_code(ctx.conn, data.get("village_code"))
        else:
            before = records.require_row(ctx.conn, "trainings", training_id)
            records.check_version(before, version)
            values, problems = clean_record(
                TRAINING, {k: v for k, v in data.items() if k in TRAINING.keys}, today=_latest_date(ctx), partial=True
            )
            village = before["village_code"]
            stored = {a["name"]: a for a in attendance(ctx.conn, training_id)}
        plan, roster_problems = _roster_plan(ctx, stored, roster)
        problems += roster_problems
        if problems:
            raise Refused(problems)
        if training_id is None:
            saved = records.insert(ctx, "trainings", values, action="create_training", village_code=village)
        else:
            saved = training_id
            records.update(ctx, "trainings", saved, values, action="update_training", before=before)
        _write_roster(ctx, saved, village, plan)
    return saved


def _roster_plan(
    ctx: Context, stored: dict[str, dict], roster: list[dict] | None
) -> tuple[list[tuple[dict | None, dict]], list[Problem]]:
    """``[(stored row or None for a new name, the attendance values it should have)]`` and the
    problems of every row (fields ``roster[i].<key>``, messages naming the person)."""
    if roster is None:
        return [], []
    plan, problems, seen = [], [], set()
    for i, entry in enumerate(roster):
        name = (entry.get("name") or "").strip()
        row = stored.get(name)
        given = {k: entry[k] for k in ("name", "position", "phone", "exam_score") if k in entry}
        given["signed_in"] = int(bool(entry.get("signed_in")))
        if row is not None and given.get("exam_score") in ("", None) and row["exam_score"] is None:
            given.pop("exam_score", None)  # nothing typed, nothing stored: keep a bare passed/failed
        values, found = clean_record(ATTENDANCE, given, today=ctx.today(), partial=row is not None)
        target = {**(row or {}), **values, "person_id": (row or entry).get("person_id") or None}
        typed_score = values.get("exam_score") is not None and values["exam_score"] != (row or {}).get("exam_score")
        if not target["signed_in"] and not typed_score:
            target.update(exam_score=None, exam_passed=None)  # unticking clears the result
        elif "exam_score" in values:
            target["exam_passed"] = _exam_passed(ctx, target["exam_score"], entry.get("exam_passed"))
        if row is None or target["signed_in"] != row["signed_in"]:
            target["signed_at"] = ctx.now_text() if target["signed_in"] else None
        found = found or record_problems(ATTENDANCE.name, target)
        if name and name in seen:
            found.append(Problem("name", _("{name} is already on the roster.").format(name=name)))
        seen.add(name)
        problems += [
            Problem(
                f"roster[{i}].{p.field}",
                _("{name}: {message}").format(name=name, message=p.message) if name else p.message,
            )
            for p in found
        ]
        plan.append((row, {k: target[k] for k in (*ATTENDANCE.keys, "person_id", "signed_at")}))
    for name in stored.keys() - seen:
        problems.append(
            Problem(
                "roster",
                _("{name}: {message}").format(
                    name=name, message=_("People already saved on the roster stay; untick them instead.")
                ),
            )
        )
    return plan, problems


def _write_roster(ctx: Context, training_id: str, village: str, plan: list[tuple[dict | None, dict]]) -> None:
    """One audit entry per person added or changed (invite, sign_in, record_exam or update_attendance)."""
    for row, values in plan:
        if row is None:
            records.insert(
                ctx,
                "training_attendance",
                {**values, "training_id": training_id},
                action="invite",
                village_code=village,
            )
            continue
        changed = {k for k, v in values.items() if row.get(k) != v}
        action = (
            "sign_in"
            if "signed_in" in changed
            else "record_exam"
            if changed & {"exam_score", "exam_passed"}
            else "update_attendance"
        )
        records.update(ctx, "training_attendance", row["id"], values, action=action, before=row)


def get_training(conn, training_id: str) -> dict:
    row = records.require_row(conn, "trainings", training_id)
    row["attendance"] = attendance(conn, training_id)
    return row


def attendance(conn, training_id: str) -> list[dict]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM training_attendance WHERE training_id = ? AND deleted = 0 ORDER BY rowid", (training_id,)
        )
    ]


def _invite(ctx: Context, training_id: str, village: str, roster: list[dict]) -> list[str]:
    existing = {r["name"] for r in attendance(ctx.conn, training_id)}
    ids, problems = [], []
    for i, person in enumerate(roster):
        values, found = clean_record(ATTENDANCE, {"signed_in": 0, **person}, today=ctx.today())
        found = found or record_problems(ATTENDANCE.name, values)
        problems += [Problem(f"roster[{i}].{p.field}", p.message) for p in found]
        if values.get("name") in existing:
            problems.append(
                Problem(f"roster[{i}].name", _("{name} is already on the roster.").format(name=values["name"]))
            )
        if found or values.get("name") in existing:
            continue
        existing.add(values["name"])
        values["person_id"] = person.get("person_id") or None
        values["exam_passed"] = _exam_passed(ctx, values["exam_score"], person.get("exam_passed"))
        ids.append(
            records.insert(
                ctx,
                "training_attendance",
                {**values, "training_id": training_id},
                action="invite",
                village_code=village,
            )
        )
    if problems:
        raise Refused(problems)
    return ids


def invite(ctx: Context, training_id: str, roster: list[dict]) -> list[str]:
    """Add people to a session's roster."""
    ctx.require(Permission.WRITE)
    with transaction(ctx.conn):
        training = records.require_row(ctx.conn, "trainings", training_id)
        return _invite(ctx, training_id, training["village_code"], roster)


def sign_in(ctx: Context, training_id: str, names: list[str], *, signed: bool = True) -> list[str]:
    """Tick people as present (or absent). A name not on the roster is added as a walk-in."""
    ctx.require(Permission.WRITE)
    now = ctx.now_text()
    ids = []
    with transaction(ctx.conn):
        training = records.require_row(ctx.conn, "trainings", training_id)
        by_name = {r["name"]: r for r in attendance(ctx.conn, training_id)}
        for raw in names:
            name = raw.strip()
            if not name:
                continue
            row = by_name.get(name)
            if row is None:
                if not signed:
                    raise NotFound(_("{name} is not on the roster.").format(name=name))
                ids += _invite(ctx, training_id, training["village_code"], [{"name": name}])
                row = records.require_row(ctx.conn, "training_attendance", ids[-1])
                by_name[name] = row
            changes = {"signed_in": int(signed), "signed_at": now if signed else None}
            if not signed:
                changes.update(exam_score=None, exam_passed=None)
            records.update(ctx, "training_attendance", row["id"], changes, action="sign_in", before=row)
            if row["id"] not in ids:
                ids.append(row["id"])
    return ids


def _exam_passed(ctx: Context, score, passed) -> int | None:
    """Tri-state: None when no exam result was given; else passed from the score (pass mark) or as told."""
    if passed not in (None, ""):
        return int(bool(passed)) if not isinstance(passed, str) else int(passed.strip() in ("1", "是", "合格", "true"))
    if score is None:
        return None
    return int(score >= site.pass_mark(ctx.conn))


def record_exam(ctx: Context, attendance_id: str, *, score=None, passed: bool | None = None) -> dict:
    """普法考试: a score (pass mark from settings, 60 by default) or just passed / failed."""
    ctx.require(Permission.WRITE)
    values, problems = clean_record(ATTENDANCE, {"exam_score": score}, today=ctx.today(), partial=True)
    with transaction(ctx.conn):
        row = records.require_row(ctx.conn, "training_attendance", attendance_id)
        if score is None and passed is None:
            problems.append(Problem("exam_score", _("Enter a score or whether the exam was passed.")))
        merged = {**row, **values}
        merged["exam_passed"] = _exam_passed(ctx, merged["exam_score"], passed)
        problems += record_problems(ATTENDANCE.name, merged)
        if problems:
            raise Refused(problems)
        return records.update(
            ctx,
            "training_attendance",
            attendance_id,
            {"exam_score": merged["exam_score"], "exam_passed": merged["exam_passed"]},
            action="record_exam",
            before=row,
        )


def attendance_rate(conn, training_id: str) -> float | None:
    row = conn.execute(
        "SELECT count(*), sum(signed_in) FROM training_attendance WHERE training_id = ? AND deleted = 0", (training_id,)
    ).fetchone()
    return (row[1] or 0) / row[0] if row[0] else None
