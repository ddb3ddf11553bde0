"""Legal hotline calls and consultations (法律服务热线/法律咨询)."""

from __future__ import annotations

from dudu_desktop.domain.fields import HOTLINE
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.validate import clean_record, record_problems
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.services import records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction


def _clean(ctx: Context, data: dict) -> dict:
    values, problems = clean_record(HOTLINE, data, today=ctx.today())
    if values.get("anonymous"):
        values["caller_name"] = ""
    problems += record_problems(HOTLINE.name, values)
    if problems:
        raise Refused(problems)
    return values


def create_call(ctx: Context, data: dict) -> str:
    """Log a call or a visit; the caller may stay anonymous (``anonymous=True``)."""
    ctx.require(Permission.WRITE)
    data = {"called_at": ctx.now().strftime("%Y-%m-%d %H:%M"), "channel": "电话", **data}
    values = _clean(ctx, data)
    with transaction(ctx.conn):
        village = site.default_village_code(ctx.conn, data.get("village_code"))
        return records.insert(ctx, "hotline_calls", values, action="create_call", village_code=village)


def update_call(ctx: Context, call_id: str, data: dict, *, expected_version: int | None = None) -> dict:
    ctx.require(Permission.WRITE)
    with transaction(ctx.conn):
        before = records.require_row(ctx.conn, "hotline_calls", call_id)
        records.check_version(before, expected_version)
        merged = {**{k: before[k] for k in HOTLINE.keys}, **{k: v for k, v in data.items() if k in HOTLINE.keys}}
        values = _clean(ctx, merged)
        return records.update(ctx, "hotline_calls", call_id, values, action="update_call", before=before)


def get_call(conn, call_id: str) -> dict:
    return records.require_row(conn, "hotline_calls", call_id)
