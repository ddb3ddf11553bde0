"""This PC's identity (a village or the township), the villages it knows, and settings."""

from __future__ import annotations

import json

from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.validate import village_code_problems
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import audit
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction

VILLAGE, TOWNSHIP = "village", "township"
DEFAULT_OVERDUE_DAYS = 30
DEFAULT_PASS_MARK = 60
DEFAULT_WARNING_CRITERIA = {
    "红": N_("Risk of a group incident or of a civil dispute turning criminal; handled by the township leader."),
    "黄": N_("Escalating, or many people involved; reported to the township and followed closely."),
    "蓝": N_("An ordinary dispute, settled at village level."),
}


def get_setting(conn, key: str, default=None):
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def set_setting(ctx: Context, key: str, value, *, permission: Permission = Permission.ADMINISTER) -> None:
    ctx.require(permission)
    with transaction(ctx.conn):
        _write_setting(ctx, key, value)


def _write_setting(ctx: Context, key: str, value) -> None:
    before = get_setting(ctx.conn, key)
    if before == value:
        return
    ctx.conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False)),
    )
    audit.append(
        ctx.conn,
        at=ctx.now_text(),
        user=ctx.user,
        action="set_setting",
        table_name="settings",
        record_id=key,
        changes={key: [before, value]},
    )


def site(conn) -> dict | None:
    """``{role, code, name, township_code, township_name}`` or None before ``init``."""
    return get_setting(conn, "site")


def require_site(conn) -> dict:
    info = site(conn)
    if not info:
        raise Refused(_("This database is not set up yet: run init first."))
    return info


def init_site(
    ctx: Context, *, role: str, code: str, name: str, township_code: str = "", township_name: str = ""
) -> dict:
    """First run: this PC is a village (code + name) or the township. Once set up, the code and
    role stay; changing the name or the township needs :data:`Permission.ADMINISTER` (issue 11:
    a 只读 account renamed the village and changed its township code); the same values again
    change nothing and need no permission."""
    problems: list[Problem] = []
    if role not in (VILLAGE, TOWNSHIP):
        problems.append(Problem("role", _("The role must be village or township.")))
    problems += village_code_problems(code)
    if township_code:
        problems += [Problem("township_code", p.message) for p in village_code_problems(township_code)]
    if not name.strip():
        problems.append(Problem("name", _("{field} is required.").format(field=_("Name"))))
    if problems:
        raise Refused(problems)
    info = {
        "role": role,
        "code": code,
        "name": name.strip(),
        "township_code": township_code or (code if role == TOWNSHIP else ""),
        "township_name": township_name.strip() or (name.strip() if role == TOWNSHIP else ""),
    }
    with transaction(ctx.conn):
        existing = site(ctx.conn)
        if existing and (existing["code"], existing["role"]) != (code, role):
            raise Refused(_("This database already belongs to {name} ({code}).").format(**existing))
        if existing == info:
            return info
        if existing:
            ctx.require(Permission.ADMINISTER)
        _write_setting(ctx, "site", info)
        if role == VILLAGE:
            _upsert_village(ctx, code, info["name"], info["township_code"], info["township_name"])
    return info


def _upsert_village(ctx: Context, code: str, name: str, township_code: str, township_name: str) -> None:
    now = ctx.now_text()
    before = ctx.conn.execute("SELECT name FROM villages WHERE code = ?", (code,)).fetchone()
    ctx.conn.execute(
        "INSERT INTO villages (code, name, township_code, township_name, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
        "township_code = excluded.township_code, township_name = excluded.township_name, "
        "updated_at = excluded.updated_at",
        (code, name, township_code, township_name, now, now),
    )
    if not before or before[0] != name:
        audit.append(
            ctx.conn,
            at=now,
            user=ctx.user,
            action="save_village",
            table_name="villages",
            record_id=code,
            village_code=code,
            changes={"name": [before[0] if before else None, name]},
        )


def save_village(ctx: Context, code: str, name: str) -> None:
    """The township registers a village (or a village renames itself)."""
    ctx.require(Permission.ADMINISTER)
    problems = village_code_problems(code)
    if not name.strip():
        problems.append(Problem("name", _("{field} is required.").format(field=_("Name"))))
    if problems:
        raise Refused(problems)
    info = require_site(ctx.conn)
    with transaction(ctx.conn):
        _upsert_village(ctx, code, name.strip(), info["township_code"], info["township_name"])


def villages(conn) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM villages ORDER BY code")]


def village_name(conn, code: str) -> str:
    row = conn.execute("SELECT name FROM villages WHERE code = ?", (code,)).fetchone()
    return row[0] if row else code


def overdue_days(conn) -> int:
    return int(get_setting(conn, "overdue_days", DEFAULT_OVERDUE_DAYS))


def pass_mark(conn) -> float:
    return float(get_setting(conn, "exam_pass_mark", DEFAULT_PASS_MARK))


def warning_criteria(conn) -> dict:
    return get_setting(conn, "warning_criteria", None) or {k: _(v) for k, v in DEFAULT_WARNING_CRITERIA.items()}


def staff(conn) -> list[str]:
    return get_setting(conn, "staff", [])


def default_village_code(conn, requested: str | None = None) -> str:
    """Records belong to this village; at the township, to the village chosen (or the township itself)."""
    info = require_site(conn)
    if requested and requested != info["code"]:
        if info["role"] == VILLAGE:
            raise Refused(_("A village PC can only record its own village's records."))
        if (
            not conn.execute("SELECT 1 FROM villages WHERE code = ?", (requested,)).fetchone()
            and requested != info["township_code"]
        ):
            raise Refused(_("Unknown village code: {code}").format(code=requested))
        return requested
    return info["code"]
