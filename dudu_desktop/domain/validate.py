"""Domain rules as code. Every function returns a list of :class:`Problem` (empty = valid);
nothing here raises for bad input or touches the database."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from dudu_desktop.domain import vocab
from dudu_desktop.domain.dates import parse_date as parse_date_text
from dudu_desktop.domain.fields import (
    BOOL,
    CHOICE,
    DATE,
    DATETIME,
    IDNO,
    INT,
    MONEY,
    PHONE,
    REAL,
    REGISTER_TABLES,
    Field,
    RecordSpec,
)
from dudu_desktop.domain.problems import Problem
from dudu_desktop.i18n import _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
VILLAGE_CODE_RE = re.compile(r"^\d{12}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
#: The earliest date any register holds: nothing in these registers predates the People's Republic, so an
#: earlier date is a typo or a misread cell (a year alone, "0001-01-01"). The latest is 31 December of the year
#: after ``today``; most dates must also not be later than today (see :func:`_check`).
EARLIEST_DATE = dt.date(1949, 1, 1)
_HUGE_DIGITS = 18  # numbers with more integer digits are beyond every bound: refused before an
# int of that size is built ("1e999999999")


class _OutOfRange(ValueError):
    """A number far beyond its field's bound (``1e999999999``): reported as too large, not as garbage."""


def date_range_problem(value: dt.date, today: dt.date, name: str) -> str | None:
    """The plausible-date rule shared by keyboard entry, spreadsheets and bundles: from 1949-01-01 to
    31 December of the year after ``today``. Returns a message naming ``name`` and the date, or None."""
    latest = dt.date(today.year + 1, 12, 31)
    if EARLIEST_DATE <= value <= latest:
        return None
    return _("{field} {date} is outside the plausible range {first} to {last}; please check the year.").format(
        field=name, date=value.isoformat(), first=EARLIEST_DATE.isoformat(), last=latest.isoformat()
    )


def id_number_problem(value: str) -> str | None:
    """GB 11643-1999: 6-digit area, 8-digit birth date, 3-digit sequence, MOD 11-2 check character."""
    v = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return _("must be 18 characters: 17 digits and a digit or X")
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return _("contains an impossible birth date")
    if birth > dt.date.today() or birth.year < 1900:
        return _("contains an impossible birth date")
    total = sum(int(c) * w for c, w in zip(v[:17], ID_WEIGHTS))
    if ID_CHECK[total % 11] != v[17]:
        return _("has a wrong check digit; please check the number")
    return None


def phone_valid(value: str) -> bool:
    v = value.strip().replace(" ", "")
    return bool(MOBILE_RE.match(v) or LANDLINE_RE.match(v))


def parse_date(value) -> dt.date | None:
    """Accept a date, or text as people type it (2024-05-01, 2024/5/1, 2024年5月1日, Excel serials…)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date_text(str(value))


def parse_datetime(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip().replace("T", " ")
    m = re.fullmatch(r"(.+?)\s+(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?", text)
    if m:
        d = _a_date(m.group(1))
        return dt.datetime(d.year, d.month, d.day, int(m.group(2)), int(m.group(3)))
    d = _a_date(text)
    return dt.datetime(d.year, d.month, d.day)


def _a_date(value) -> dt.date:
    """:func:`parse_date` of a value that is not blank: a date, or ``ValueError`` (also for text that
    turns out blank, such as a zero-width space, where a date was expected)."""
    d = parse_date(value)
    if d is None:
        raise ValueError(f"not a date: {value!r}")
    return d


def _a_datetime(value) -> dt.datetime:
    """:func:`parse_datetime` of a value that is not blank: a date and time, or ``ValueError``."""
    d = parse_datetime(value)
    if d is None:
        raise ValueError(f"not a date and time: {value!r}")
    return d


def parse_money_cents(value) -> int | None:
    """``'1409.5'``, ``'¥1,409.50'`` or a number of yuan → integer fen."""
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 100
    text = str(value).strip().replace("¥", "").replace("￥", "").replace(",", "").replace("元", "")
    amount = Decimal(text)
    if amount != amount or amount.is_infinite():
        raise InvalidOperation(text)
    if amount.adjusted() >= _HUGE_DIGITS:
        raise _OutOfRange(text)
    return int((amount * 100).quantize(Decimal(1)))


def _bool(value) -> int:
    if isinstance(value, str):
        return 1 if value.strip().lower() in ("1", "true", "yes", "y", "是", "√", "✓", "有") else 0
    return 1 if value else 0


def clean_record(
    spec: RecordSpec, data: dict, *, today: dt.date | None = None, partial: bool = False
) -> tuple[dict, list[Problem]]:
    """Convert user input to stored values and check the per-field rules.

    Returns the cleaned values (only keys present in ``data`` when ``partial``) and the problems.
    Dates are stored as ``YYYY-MM-DD``, times as ``YYYY-MM-DD HH:MM``, money as integer fen,
    booleans as 0/1, empty text as ``""``.
    """
    today = today or dt.date.today()
    out: dict = {}
    problems: list[Problem] = []
    for f in spec.fields:
        if partial and f.key not in data:
            continue
        raw = data.get(f.key)
        if isinstance(raw, str):
            raw = raw.strip()
        try:
            value = _convert(f, raw)
        except _OutOfRange:
            problems.append(Problem(f.key, _too_large_message(f)))
            continue
        except (ValueError, InvalidOperation, TypeError):
            problems.append(Problem(f.key, _invalid_message(f)))
            continue
        if value is None or value == "" or (f.kind == BOOL and f.required and not value):
            if f.required:
                problems.append(Problem(f.key, _("{field} is required.").format(field=_(f.label))))
            out[f.key] = _empty_value(f)
            continue
        problem = _check(f, value, today)
        if problem:
            problems.append(Problem(f.key, problem))
        out[f.key] = value
    return out, problems


def _empty_value(f: Field):
    if f.kind == BOOL:
        return 0
    if f.kind in (DATE, DATETIME, INT, REAL, MONEY):
        return None
    return ""


def _convert(f: Field, raw):
    if raw is None or raw == "":
        return _empty_value(f)
    if f.kind == DATE:
        return _a_date(raw).isoformat()
    if f.kind == DATETIME:
        return _a_datetime(raw).isoformat(sep=" ", timespec="minutes")  # 4-digit year even before 1000
    if f.kind == INT:
        if isinstance(raw, bool):
            raise ValueError
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError
        number = Decimal(str(raw))
        if not number.is_finite():
            raise ValueError
        if number.adjusted() >= _HUGE_DIGITS:
            raise _OutOfRange(raw)
        return int(number)
    if f.kind == REAL:
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError
        return value
    if f.kind == MONEY:
        return parse_money_cents(raw)
    if f.kind == BOOL:
        return _bool(raw)
    if f.kind == IDNO:
        return str(raw).strip().upper()
    if f.kind == PHONE:
        return str(raw).strip().replace(" ", "")
    return str(raw)


def _invalid_message(f: Field) -> str:
    name = _(f.label)
    if f.kind == DATE:
        return _("{field} is not a valid date (for example 2024-05-01).").format(field=name)
    if f.kind == DATETIME:
        return _("{field} is not a valid time (for example 2024-05-01 09:30).").format(field=name)
    if f.kind == MONEY:
        return _("{field} is not a valid amount (for example 1409.50).").format(field=name)
    return _("{field} must be a number.").format(field=name)


def _too_large_message(f: Field) -> str:
    bound = f.upper
    if bound is None:  # not a number field: nothing it could exceed
        return _invalid_message(f)
    if f.kind == MONEY:
        fen = int(bound)
        return _("{field} is too large (at most {limit} yuan).").format(
            field=_(f.label), limit=f"{fen // 100}.{fen % 100:02d}"
        )
    upper = int(bound) if float(bound).is_integer() else bound
    return _("{field} is too large (at most {limit}).").format(field=_(f.label), limit=upper)


def _check(f: Field, value, today: dt.date) -> str | None:
    name = _(f.label)
    if f.kind in (DATE, DATETIME):
        problem = date_range_problem(dt.date.fromisoformat(value[:10]), today, name)
        if problem:
            return problem
    if f.kind == DATE and value > today.isoformat():
        return _("{field} cannot be later than today.").format(field=name)
    if f.kind == DATETIME and value[:10] > today.isoformat():
        return _("{field} cannot be later than today.").format(field=name)
    if f.kind in (INT, REAL, MONEY) and f.min_value is not None and value < f.min_value:
        return _("{field} cannot be negative.").format(field=name)
    if f.kind in (INT, REAL, MONEY) and f.upper is not None and value > f.upper:
        return _too_large_message(f)
    if f.kind == CHOICE and value not in f.choices:
        return _("{field} must be one of: {choices}.").format(field=name, choices="、".join(c for c in f.choices if c))
    if f.kind == PHONE and not phone_valid(value):
        return _("{field} is not a valid mobile (11 digits starting with 1) or landline number.").format(field=name)
    if f.kind == IDNO:
        problem = id_number_problem(value)
        if problem:
            return _("{field} {problem}.").format(field=name, problem=problem)
    if isinstance(value, str) and len(value) > f.limit:
        return _("{field} is too long (at most {limit} characters).").format(field=name, limit=f.limit)
    return None


# --- rules across fields -------------------------------------------------------------------------


def dispute_problems(d: dict) -> list[Problem]:
    """Rules between a dispute's fields (after :func:`clean_record`)."""
    problems: list[Problem] = []
    status = d.get("status") or vocab.DisputeStatus.PENDING
    result = d.get("result") or ""
    if status in vocab.DONE_STATUSES and not result:
        problems.append(
            Problem("result", _("A concluded case needs its result (mediation succeeded, failed or withdrawn)."))
        )
    if status in vocab.OPEN_STATUSES and result:
        problems.append(Problem("result", _("A result can only be recorded when the case is concluded.")))
    if status in vocab.DONE_STATUSES and not d.get("concluded_on"):
        problems.append(Problem("concluded_on", _("A concluded case needs its conclusion date.")))
    reg, concl = d.get("registered_on"), d.get("concluded_on")
    if reg and concl and concl < reg:
        problems.append(Problem("concluded_on", _("The conclusion date cannot be before the registration date.")))
    closed = d.get("closed_out_on")
    if closed and concl and closed < concl:
        problems.append(Problem("closed_out_on", _("The close-out date cannot be before the conclusion date.")))
    if d.get("agreement") and result != vocab.DisputeResult.SUCCESS:
        problems.append(Problem("agreement", _("An agreement can only be recorded for a successful mediation.")))
    if d.get("amount_cents") and not d.get("agreement"):
        problems.append(Problem("amount_cents", _("An agreement amount needs an agreement.")))
    return problems


def agreement_problems(d: dict) -> list[Problem]:
    """调解成功 needs the agreement's content (协议内容; the amount stays optional), so that the
    协议书 never prints blank terms (issue 12). Applied where a person states the outcome — the
    conclusion, a new case entered as concluded, an edit of the terms of a concluded case — not
    to spreadsheets and bundles, which carry cases concluded before the rule."""
    if (
        d.get("status") in vocab.DONE_STATUSES
        and d.get("result") == vocab.DisputeResult.SUCCESS
        and not (d.get("agreement_terms") or "").strip()
    ):
        return [
            Problem(
                "agreement_terms",
                _("A successful mediation needs the content of the agreement (the amount is optional)."),
            )
        ]
    return []


def party_problems(parties: list[dict]) -> list[Problem]:
    if not parties:
        return [Problem("parties", _("A dispute needs at least one party."))]
    return []


def hotline_problems(d: dict) -> list[Problem]:
    if not d.get("anonymous") and not d.get("caller_name"):
        return [Problem("caller_name", _("Enter the caller's name, or tick that the caller stays anonymous."))]
    return []


def attendance_problems(d: dict) -> list[Problem]:
    problems = []
    score = d.get("exam_score")
    if score is not None and score > 100:
        problems.append(Problem("exam_score", _("Exam score must be between 0 and 100.")))
    if (score is not None or d.get("exam_passed")) and not d.get("signed_in"):
        problems.append(Problem("signed_in", _("Only people who signed in can have an exam result.")))
    return problems


def record_problems(table: str, values: dict) -> list[Problem]:
    """The rules between the fields of one record of ``table`` (a table name, ``disputes``, or a
    register name, ``hotline``), after :func:`clean_record`: the one entry point that keyboard entry
    (services), spreadsheet import (sync/tables.py) and bundle import (sync/merge.py) all call, so
    every path takes the same records. Tables without such rules give ``[]``."""
    rules = _RECORD_RULES.get(REGISTER_TABLES.get(table, table), ())
    return [p for rule in rules for p in rule(values)]


#: table → its whole-record rules (add a rule here, and every path applies it).
_RECORD_RULES = {
    "disputes": (dispute_problems,),
    "hotline_calls": (hotline_problems,),
    "training_attendance": (attendance_problems,),
}


def status_change_problems(current: str, new: str) -> list[Problem]:
    if new not in tuple(vocab.DisputeStatus):
        return [Problem("status", _("Unknown status: {status}.").format(status=new))]
    if current == vocab.DisputeStatus.CLOSED_OUT:
        return [Problem("status", _("This case is closed out and read-only; reopen it with a reason first."))]
    if new not in vocab.STATUS_TRANSITIONS[vocab.DisputeStatus(current)]:
        return [Problem("status", _("A case cannot go from {old} to {new}.").format(old=current, new=new))]
    return []


def reason_problems(reason: str | None, field: str = "reason") -> list[Problem]:
    text = reason or ""
    if not text.strip():
        return [Problem(field, _("Please give a reason."))]
    if len(text) > 500:
        return [Problem(field, _("The reason is too long (at most 500 characters)."))]
    return []


def village_code_problems(code: str) -> list[Problem]:
    if not VILLAGE_CODE_RE.match(code or ""):
        return [Problem("code", _("The village code must be the 12-digit statistical area code."))]
    return []


def is_overdue(registered_on: str, status: str, concluded_on: str | None, *, days: int, today: dt.date) -> bool:
    """Not concluded ``days`` days after registration (a case concluded late was overdue too)."""
    deadline = (dt.date.fromisoformat(registered_on) + dt.timedelta(days=days)).isoformat()
    if status in vocab.DONE_STATUSES and concluded_on:
        return concluded_on > deadline
    return today.isoformat() > deadline
