"""The people directory: parties, cadres, mediators and speakers picked with completion."""

from __future__ import annotations

import functools

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
    values, problems = clean_record(
        PERSON, {k: v for k, v in data.items() if k in PERSON.keys}, today=ctx.today(), partial=True
    )
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


# ---------------------------------------------------------------- the one people directory (issue 12)

#: Where names were typed before: (table, name column, phone column, ID column, address column, kind).
_SOURCES = (
    ("dispute_parties", "name", "phone", "id_number", "address", "当事人"),
    ("hotline_calls", "caller_name", "caller_phone", None, None, "来电人"),
    ("training_attendance", "name", "phone", None, None, "参训人员"),
)
_PERSON_KEYS = ("name", "gender", "ethnicity", "age", "phone", "id_number", "address")


def display_name(conn, username: str | None) -> str:
    """The name a person is shown by (张文书), never the log-in name when the account has one."""
    from dudu_desktop.services import users

    if not username:
        return ""
    user = users.get_user(conn, username)
    return (user.display_name or user.username) if user else username


def staff_names(conn) -> list[str]:
    """Mediators, 接待人 and speakers: Settings → 工作人员, the accounts' display names and the
    directory's cadres and mediators."""
    names = list(site.staff(conn))
    names += [
        r[0]
        for r in conn.execute(
            "SELECT display_name FROM users WHERE display_name != '' AND disabled = 0 ORDER BY display_name"
        )
    ]
    names += [
        r[0]
        for r in conn.execute(
            "SELECT name FROM people WHERE deleted = 0 AND kind IN "
            "('村干部', '调解员', '主讲人', '乡镇干部') ORDER BY name"
        )
    ]
    return list(dict.fromkeys(n for n in names if n))


def initials(name: str) -> str:
    """``向德华`` → ``xdh``: the first letters of the name's pinyin (for typing ``xdh``)."""
    return _pinyin(name)[0]


@functools.lru_cache(maxsize=65536)
def _pinyin(name: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin  # loaded at the first completion, not at start

    return ("".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower(), "".join(lazy_pinyin(name)).lower())


def _matches(name: str, text: str, latin: bool) -> bool:
    if not latin:
        return text in name
    first, full = _pinyin(name)
    return first.startswith(text) or full.startswith(text)


def directory(conn, text: str, *, staff_only: bool = False, limit: int = 20) -> list[dict]:
    """People whose name contains ``text`` or whose pinyin (initials ``xdh`` or full ``xiangdehua``)
    starts with it: the staff, the people directory and everybody already entered as a party,
    caller or attendee, with their phone, ID number and address when known. One entry per ID
    number when there is one (else per name and phone); the entries with the most details first
    within staff, then directory, then the others. ``id`` is the directory's own id (``None`` for a
    person only seen in the registers)."""
    text = (text or "").strip()
    if not text:
        return []
    latin = text.isascii()
    needle = text.lower() if latin else text
    found: list[dict] = []
    for name in staff_names(conn):
        if _matches(name, needle, latin):
            found.append({"id": None, "name": name, "kind": "工作人员", "staff": True})
    if not staff_only:
        like = "%" + text.replace("%", "").replace("_", "") + "%"
        cond, args = ("", []) if latin else (" AND name LIKE ?", [like])
        for row in conn.execute(f"SELECT * FROM people WHERE deleted = 0{cond} ORDER BY name", args):
            if _matches(row["name"], needle, latin):
                found.append({**{k: row[k] for k in _PERSON_KEYS}, "id": row["id"], "kind": row["kind"]})
        for table, name, phone, idno, address, kind in _SOURCES:
            idno, address = idno or "''", address or "''"
            cols = f"{name} AS name, {phone} AS phone, {idno} AS id_number, {address} AS address"
            extra = " AND anonymous = 0" if table == "hotline_calls" else ""
            cond = "" if latin else f" AND {name} LIKE ?"
            sql = (
                f"SELECT {cols}, max(updated_at) AS seen FROM {table} WHERE deleted = 0 AND {name} != ''"
                f"{extra}{cond} GROUP BY {name}, {phone}, {idno} ORDER BY seen DESC LIMIT 2000"
            )
            for row in conn.execute(sql, [] if latin else [like]):
                if _matches(row["name"], needle, latin):
                    found.append(
                        {
                            "id": None,
                            "name": row["name"],
                            "phone": row["phone"] or "",
                            "id_number": row["id_number"] or "",
                            "address": row["address"] or "",
                            "kind": kind,
                        }
                    )
    return _dedupe(found)[:limit]


def _dedupe(found: list[dict]) -> list[dict]:
    """One entry per ID number (else per name + phone; a bare name once), details merged."""
    out: dict[tuple, dict] = {}
    for p in found:
        key = ("id", p["id_number"]) if p.get("id_number") else ("name", p["name"], p.get("phone") or "")
        if key in out:
            kept = out[key]
            for k, v in p.items():
                if v not in (None, "") and kept.get(k) in (None, ""):
                    kept[k] = v
        else:
            out[key] = dict(p)
    # a bare name (no phone, no ID) adds nothing next to a fuller entry of the same name
    full = {p["name"] for p in out.values() if p.get("phone") or p.get("id_number")}
    return [p for p in out.values() if p.get("staff") or p.get("phone") or p.get("id_number") or p["name"] not in full]
