"""Dates as people type them in a register (keyboard, spreadsheets): pure parsing, no I/O."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from dudu_desktop.i18n import _

_DATE_FORMS = [
    re.compile(p)
    for p in (
        # 2024-05-01, 2024/5/1, 2024.5.1 (one separator), optionally followed by a time
        r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
        r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?",
        r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})",
    )
]


def parse_date(text: str | None) -> dt.date | None:
    """Parse a date as people type it in a register.

    Accepts 2024-05-01, 2024-5-1, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501, a trailing time
    ("2024/5/1 0:00", as Excel saves date-times to CSV) and full-width digits. Returns None for a
    blank cell and raises ``ValueError`` with a Chinese message for anything else — also for a
    bare number ("2024", "99", "45413"): text is never read as an Excel serial number, which would
    turn a year into 1905-07-16. Serial numbers come only from numeric .xlsx cells (see
    ``read_table(date_headers=…)``). Whether a date is plausible (1949 … next year) is a domain
    rule (``domain.validate.date_range_problem``), not checked here.
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if not s:
        return None
    for form in _DATE_FORMS:
        m = form.fullmatch(s)
        if m:
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                raise ValueError(_("There is no such date: {text}").format(text=s)) from None
    raise ValueError(_("Cannot read the date {text} (write it as 2024-05-01, 2024/5/1 or 2024年5月1日)").format(text=s))
