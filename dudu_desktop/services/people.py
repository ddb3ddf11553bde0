"""The people directory: parties, cadres, mediators and speakers picked with completion."""

from __future__ import annotations

from dudu_desktop.domain.fields import PERSON
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.validate import clean_record
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.services import records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction


def create_person(ctx: Context, data: dict) -> str:
    ctx.require(Permission.WRITE)
    values, problems = clean_record(PERSON, data, today=ctx.today())
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        village = site.default_village_code(ctx.conn, data.get("village_code"))
        return records.insert(ctx, "people", values, action="create_person", village_code=village)


def update_person(ctx: Context, person_id: str, data: dict, *, expected_version: int | None = None) -> dict:
    ctx.require(Permission.WRITE)
    values, problems = clean_record(PERSON, {k: v for k, v in data.items() if k in PERSON.keys},
                                    today=ctx.today(), partial=True)
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "people", person_id)
        records.check_version(before, expected_version)
        return records.update(ctx, "people", person_id, values, action="update_person", before=before)


def find_people(conn, prefix: str, *, kind: str | None = None, limit: int = 20) -> list[dict]:
    """Completion: people whose name starts with (or, failing that, contains) the text typed."""
    prefix = prefix.strip()
    args: list = [prefix.replace("%", "").replace("_", "") + "%"]
    sql = "SELECT * FROM people WHERE deleted = 0 AND name LIKE ?"
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    rows = [dict(r) for r in conn.execute(sql + " ORDER BY name LIMIT ?", [*args, limit])]
    if not rows and prefix:
        args[0] = "%" + args[0]
        rows = [dict(r) for r in conn.execute(sql + " ORDER BY name LIMIT ?", [*args, limit])]
    return rows
