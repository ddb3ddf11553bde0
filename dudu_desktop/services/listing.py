"""Listing a register for the command line (``dudu-desktop list``) and finding a record by what a
person sees in the window: its 编号 (a dispute's serial number such as ``2024-011``) or its id.

The rows are masked the way printing masks them (domain/masking.py): the people's names, phones
and ID numbers starred, and their names starred inside the free text.
"""

from __future__ import annotations

from dudu_desktop.domain.fields import REGISTER_TABLES
from dudu_desktop.domain.masking import mask_name, mask_names_in, mask_phone
from dudu_desktop.domain.problems import NotFound, Refused
from dudu_desktop.i18n import _
from dudu_desktop.services import site
from dudu_desktop.storage import queries
from dudu_desktop.storage.queries import Filters

#: A short id (the first characters of a record's id) must be at least this long to be accepted.
SHORT_ID = 8

#: The main fields of each register in ``list`` (after id, 编号, village and 已作废).
MAIN_FIELDS = {
    "disputes": ("registered_on", "dispute_type", "party_names", "level", "status", "result", "mediator", "summary"),
    "trainings": ("held_on", "training_type", "topic", "speaker", "location", "duration_hours"),
    "hotline": ("called_at", "channel", "category", "caller_name", "caller_phone", "question", "referral"),
    "publicity": ("held_on", "form", "theme", "location", "audience", "organizer"),
}
_NAMES = ("party_names", "caller_name")  # the people the record is about (staff names are kept)
_FREE_TEXT = ("summary", "question", "topic", "theme")


def table_of(register: str) -> str:
    try:
        return REGISTER_TABLES[register]
    except KeyError:
        raise Refused(_("Unknown register: {name}").format(name=register)) from None


def number_of(register: str, row: dict) -> str:
    """What the window shows as the record's 编号: a dispute's serial number; for the other
    registers (which have none) the first characters of the id, accepted wherever an id is."""
    if register == "disputes" and row.get("serial_no"):
        return row["serial_no"]
    return row["id"][:SHORT_ID]


def resolve_id(conn, register: str, text: str, *, village: str | None = None, include_deleted: bool = False) -> str:
    """The id of the record of ``register`` named by ``text``: its full id, its 编号 (a dispute's
    serial number, e.g. ``2024-011``; at the township within ``village`` when several villages
    have that number) or the first characters of its id (at least :data:`SHORT_ID`)."""
    table = table_of(register)
    text = (text or "").strip()
    if not text:
        raise Refused(_("Name the record by its id or its number."))
    alive = "" if include_deleted else " AND deleted = 0"
    row = conn.execute(f"SELECT id FROM {table} WHERE id = ?{alive}", (text,)).fetchone()
    if row:
        return row[0]
    found: list = []
    if register == "disputes":
        sql, args = f"SELECT id, village_code FROM disputes WHERE serial_no = ?{alive}", [text]
        if village:
            sql, args = sql + " AND village_code = ?", [*args, village]
        found = conn.execute(sql, args).fetchall()
    if not found and len(text) >= SHORT_ID and all(c in "0123456789abcdef-" for c in text.lower()):
        prefix = text.lower().replace("%", "").replace("_", "")
        found = conn.execute(
            f"SELECT id, village_code FROM {table} WHERE id LIKE ?{alive} LIMIT 5", (prefix + "%",)
        ).fetchall()
    if len(found) == 1:
        return found[0][0]
    if not found:
        raise NotFound(_("No record numbered or with the id {text} in this register.").format(text=text))
    names = "、".join(site.village_name(conn, r[1]) for r in found)
    raise Refused(
        _("Several records are numbered {text} ({villages}): name the village or use the id.").format(
            text=text, villages=names
        )
    )


def list_rows(conn, register: str, filters: Filters, *, limit: int = -1) -> list[dict]:
    """The register's records in date order with id, 编号, village and the main fields, masked."""
    table_of(register)
    rows = queries.fetch_rows(conn, register, filters, limit=limit)
    names = {v["code"]: v["name"] for v in site.villages(conn)}
    out = []
    for r in rows:
        people = [n for key in _NAMES for n in (r.get(key) or "").split("、") if n]
        item = {"id": r["id"], "number": number_of(register, r)}
        item["编号"] = item["number"]
        item["village_code"] = r["village_code"]
        item["village"] = names.get(r["village_code"], r["village_code"])
        item["deleted"] = bool(r["deleted"])
        for key in MAIN_FIELDS[register]:
            value = r.get(key)
            if key in _NAMES:
                value = mask_name(value)
            elif key == "caller_phone":
                value = mask_phone(value)
            elif key in _FREE_TEXT:
                value = mask_names_in(value, people)
            item[key] = value
        out.append(item)
    return out
