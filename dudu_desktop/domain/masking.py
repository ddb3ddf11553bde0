"""Masking personal data for printouts and exports (个人信息保护法; common practice).

- ID numbers: the first 6 (area code) and last 4 characters kept: ``110101********1234``.
- Phones: the first 3 and last 4 characters kept: ``180****1999``.
- Names: the surname kept, one ``*`` per remaining character: ``张**``; the common
  two-character surnames (欧阳, 司马…) are kept whole when the name is longer than them.
- Addresses: kept up to the village (村/社区/组…), the rest starred.

Every function is pure, keeps blank values blank, and never returns the input unchanged when
it has something to hide (short or odd values are starred all but their last character).
"""

from __future__ import annotations

import re

STAR = "*"

#: 复姓 kept whole; a name no longer than its surname is treated as a one-character surname.
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "澹台",
    "端木",
    "单于",
    "轩辕",
    "呼延",
    "独孤",
    "南宫",
    "西门",
    "申屠",
    "百里",
)
#: separators between several names in one cell (``张三、李四``) and inside minority names (·)
_NAME_SEPARATORS = re.compile(r"([、，,；;/\s]+)")
_KEEP_IN_NAME = "·•．. -"


def _star_middle(text: str, head: int, tail: int) -> str:
    n = len(text)
    if n <= head + tail:
        # too short to show both ends: hide all but the last character
        return STAR * (n - 1) + text[-1:] if n > 1 else STAR
    return text[:head] + STAR * (n - head - tail) + text[n - tail :]


def mask_id(value: str | None) -> str:
    """``110101199003071234`` → ``110101********1234`` (15-digit IDs: ``110101*****1234``)."""
    text = (value or "").strip()
    if not text:
        return ""
    return _star_middle(text, 6, 4)


def mask_phone(value: str | None) -> str:
    """``18012341999`` → ``180****1999``; a landline ``023-77123456`` → ``023*****3456``."""
    text = (value or "").strip()
    if not text:
        return ""
    return _star_middle(text, 3, 4)


def _mask_one_name(name: str) -> str:
    if not name:
        return ""
    keep = 1
    for surname in COMPOUND_SURNAMES:
        if name.startswith(surname) and len(name) > len(surname):
            keep = len(surname)
            break
    if len(name) == 1:
        return name  # a lone surname ("王") shows nothing more
    return name[:keep] + "".join(ch if ch in _KEEP_IN_NAME else STAR for ch in name[keep:])


def mask_name(value: str | None) -> str:
    """``张三丰`` → ``张**``; ``欧阳娜娜`` → ``欧阳**``; ``张三、李四`` → ``张*、李*``."""
    text = (value or "").strip()
    if not text:
        return ""
    return "".join(
        part if _NAME_SEPARATORS.fullmatch(part) else _mask_one_name(part)
        for part in _NAME_SEPARATORS.split(text)
        if part
    )


_ADDRESS_UNITS = re.compile(r".*(?:社区|村|居委会|街道|镇|乡)")


def mask_address(value: str | None) -> str:
    """``都督村3组12号`` → ``都督村****``: the administrative part kept, the rest hidden;
    with no 村/社区/乡/镇 in it, the first three characters kept."""
    text = (value or "").strip()
    if not text:
        return ""
    m = _ADDRESS_UNITS.match(text[:-1])  # the last unit before some detail
    head = m.end() if m and m.end() < len(text) else min(3, len(text) - 1)
    return text[:head] + STAR * 4 if head > 0 else STAR * 4


def mask_names_in(text: str | None, names) -> str:
    """Free text (纠纷简要情况, 协议内容…) with each of ``names`` (the record's people, two
    characters or more) masked wherever it occurs: ``张三丰与李四`` → ``张**与李*``."""
    text = text or ""
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


#: a party's keys (dispute_parties) → masking function; other keys (gender, age…) are kept
PARTY_MASKS = {"name": mask_name, "phone": mask_phone, "id_number": mask_id, "address": mask_address}


def mask_party(party: dict) -> dict:
    """A copy of a dispute party with name, phone, ID number and address masked."""
    return {**party, **{k: f(party.get(k)) for k, f in PARTY_MASKS.items() if k in party}}


#: field kinds (domain.fields) and keys → masking function
BY_KIND = {"idno": mask_id, "phone": mask_phone}
BY_KEY = {
    "name": mask_name,
    "caller_name": mask_name,
    "party_names": mask_name,
    "address": mask_address,
    "id_number": mask_id,
    "phone": mask_phone,
    "caller_phone": mask_phone,
}


def mask_field(field, value) -> str:
    """Mask ``value`` as the :class:`~dudu_desktop.domain.fields.Field` requires (sensitive
    fields only); other values come back as text unchanged."""
    text = "" if value is None else str(value)
    if not getattr(field, "sensitive", False):
        return text
    masker = BY_KIND.get(field.kind) or BY_KEY.get(field.key) or mask_name
    return masker(text)
