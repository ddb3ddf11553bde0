"""Legal publicity events (法治宣传活动) and the materials handed out at them."""

from __future__ import annotations

from dudu_desktop.domain.fields import MATERIAL, PUBLICITY
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.validate import clean_record
from dudu_desktop.domain.vocab import MATERIAL_KINDS, Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction


def _clean_materials(ctx: Context, materials: list[dict]) -> list[dict]:
    rows, problems = [], []
    for i, item in enumerate(materials):
        values, found = clean_record(MATERIAL, item, today=ctx.today())
        problems += [
            Problem(f"materials[{i}].{p.field}", _("Material {n}: {message}").format(n=i + 1, message=p.message))
            for p in found
        ]
        values["unit"] = MATERIAL_KINDS.get(values.get("kind") or "", "份")
        rows.append(values)
    if problems:
        raise Refused(problems)
    return rows


def create_event(ctx: Context, data: dict, materials: list[dict] | None = None) -> str:
    """An event with the materials handed out by kind (``[{kind: 宣传册, quantity: 200}]``)."""
    ctx.require(Permission.WRITE)
    values, problems = clean_record(PUBLICITY, data, today=ctx.today())
    if problems:
        raise Refused(problems)
    material_rows = _clean_materials(ctx, materials or [])
    with transaction(ctx.conn):
        village = site.default_village_code(ctx.conn, data.get("village_code"))
        event_id = records.insert(ctx, "publicity_events", values, action="create_event", village_code=village)
        for item in material_rows:
            records.insert(
                ctx, "publicity_materials", {**item, "event_id": event_id}, action="create_event", village_code=village
            )
    return event_id


def update_event(
    ctx: Context, event_id: str, data: dict, materials: list[dict] | None = None, *, expected_version: int | None = None
) -> dict:
    """Edit an event; when ``materials`` is given it replaces the list handed out."""
    ctx.require(Permission.WRITE)
    values, problems = clean_record(
        PUBLICITY, {k: v for k, v in data.items() if k in PUBLICITY.keys}, today=ctx.today(), partial=True
    )
    if problems:
        raise Refused(problems)
    material_rows = None if materials is None else _clean_materials(ctx, materials)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "publicity_events", event_id)
        records.check_version(before, expected_version)
        after = records.update(ctx, "publicity_events", event_id, values, action="update_event", before=before)
        if material_rows is not None:
            current = {
                r["kind"]: dict(r)
                for r in ctx.conn.execute(
                    "SELECT * FROM publicity_materials WHERE event_id = ? AND deleted = 0", (event_id,)
                )
            }
            wanted = {m["kind"]: m for m in material_rows}
            for kind, item in wanted.items():
                if kind in current:
                    records.update(
                        ctx,
                        "publicity_materials",
                        current[kind]["id"],
                        item,
                        action="update_event",
                        before=current[kind],
                    )
                else:
                    records.insert(
                        ctx,
                        "publicity_materials",
                        {**item, "event_id": event_id},
                        action="update_event",
                        village_code=before["village_code"],
                    )
            for kind, row in current.items():
                if kind not in wanted:
                    records.update(
                        ctx, "publicity_materials", row["id"], {"deleted": 1}, action="update_event", before=row
                    )
    return after


def get_event(conn, event_id: str) -> dict:
    row = records.require_row(conn, "publicity_events", event_id)
    row["materials"] = [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM publicity_materials WHERE event_id = ? AND deleted = 0 ORDER BY rowid", (event_id,)
        )
    ]
    return row
