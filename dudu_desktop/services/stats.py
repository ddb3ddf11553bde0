"""The figures the reports need, for a year or a month, one village or the whole township.

Definitions (documented in the README, used by the annual report):
- disputes.total / open / by_type / by_level: disputes *registered* in the period (current state).
- disputes.closed / resolved / failed / withdrawn: disputes *concluded* (已办结 or 已销号) in the period,
  by result; ``success_rate`` = 调解成功 / (调解成功 + 调解不成) among them.
- disputes.overdue: registered in the period and not concluded within the overdue days (still open
  past the deadline today, or concluded after it).
- trainings.study: sessions of a study type (专题学习, 会前学法, 以案说法); seminars: 研讨.
- hotline.satisfaction_rate: (满意 + 基本满意) / records with a satisfaction answer.
Rates are fractions 0..1, or None when there is nothing to divide.
"""

from __future__ import annotations

import datetime as dt
import re

from dudu_desktop.domain import vocab
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _
from dudu_desktop.services import site
from dudu_desktop.storage import vocab_sql as V


def period_bounds(year: int | None = None, month: str | None = None) -> tuple[str, str]:
    """``[start, end)`` as ISO dates for ``year=2024`` or ``month='2024-05'``."""
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise Refused(_("The month must be written like 2024-05."))
        y, mo = int(m.group(1)), int(m.group(2))
        start = dt.date(y, mo, 1)
        end = dt.date(y + (mo == 12), mo % 12 + 1, 1)
        return start.isoformat(), end.isoformat()
    if year is None:
        raise Refused(_("Give a year or a month."))
    if not 1900 <= int(year) <= 9999:
        raise Refused(_("The year must be written like 2024."))
    return f"{int(year):04d}-01-01", f"{int(year) + 1:04d}-01-01"


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def compute_stats(
    conn, *, year: int | None = None, month: str | None = None, village: str | None = None, today: dt.date | None = None
) -> dict:
    start, end = period_bounds(year, month)
    today = today or dt.date.today()
    days = site.overdue_days(conn)
    vfilter = " AND village_code = :village" if village else ""
    args = {"start": start, "end": end, "village": village, "today": today.isoformat(), "days": f"+{days} days"}
    return {
        "period": {
            "year": int(year) if year and not month else None,
            "month": month,
            "from": start,
            "to": (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat(),
            "village": village,
            "overdue_days": days,
        },
        "disputes": _disputes(conn, vfilter, args),
        "trainings": _trainings(conn, vfilter, args),
        "hotline": _hotline(conn, vfilter, args),
        "publicity": _publicity(conn, vfilter, args),
    }


def _has_index(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone() is not None


def _disputes(conn, vfilter: str, args: dict) -> dict:
    # The covering indexes of migration 0008_speed_stats answer these without reading the table. For
    # the whole township the hint keeps SQLite from the narrower date index (which reads every row of
    # the year from the table); the unary + below keeps it from the status index for concluded cases.
    hint = "" if vfilter or not _has_index(conn, "disputes_live_stats") else " INDEXED BY disputes_live_stats"
    registered = f"FROM disputes{hint} WHERE deleted = 0 AND registered_on >= :start AND registered_on < :end{vfilter}"
    # One pass over the index in its own order (day, type: no sorting), a few thousand groups summed
    # here (issue 14). Overdue: a case still open is overdue when today is past its deadline — the same
    # for the whole day's group (``late``, computed once per group); a concluded one when it was
    # concluded after it.
    total = open_ = overdue = red = yellow = blue = pc = pcp = pp = ppp = 0
    types: dict = {}
    months: dict = {}
    for day, t, n, done, open_n, concluded_late, late, r, y, b, c1, c2, c3, c4 in conn.execute(
        f"""
            SELECT registered_on, dispute_type, count(*), sum(status IN {V.DONE}),
                   sum(status IN {V.OPEN}),
                   sum(CASE WHEN status IN {V.DONE} THEN concluded_on > date(registered_on, :days) END),
                   :today > date(registered_on, :days),
                   sum(level = {V.RED}), sum(level = {V.YELLOW}), sum(level = {V.BLUE}),
                   sum(prevented_criminal), sum(prevented_criminal_people), sum(prevented_petition),
                   sum(prevented_petition_people)
            {registered} GROUP BY registered_on, dispute_type""",
        args,
    ):
        total += n
        open_ += open_n or 0
        overdue += (concluded_late or 0) + ((n - (done or 0)) if late else 0)
        red, yellow, blue = red + (r or 0), yellow + (y or 0), blue + (b or 0)
        pc, pcp, pp, ppp = pc + (c1 or 0), pcp + (c2 or 0), pp + (c3 or 0), ppp + (c4 or 0)
        types[t] = types.get(t, 0) + n
        month = months.setdefault(None if day is None else day[:7], {})
        month[t] = month.get(t, 0) + n
    by_type = dict.fromkeys(vocab.DISPUTE_TYPES, 0)
    for t in sorted(types, key=_sql_order):  # the order SQLite's GROUP BY gave
        by_type[t] = types[t]
    by_month: dict[str, dict[str, int]] = {}
    for m in sorted(months, key=_sql_order):
        by_month[m] = {t: months[m][t] for t in sorted(months[m], key=_sql_order)}
    crow = conn.execute(
        f"""
        SELECT count(*), sum(result = {V.SUCCESS}), sum(result = {V.FAILED}), sum(result = {V.WITHDRAWN}),
               coalesce(sum(CASE WHEN result = {V.SUCCESS} THEN amount_cents END), 0), sum(agreement)
        FROM disputes WHERE deleted = 0 AND +status IN {V.DONE}
             AND concluded_on >= :start AND concluded_on < :end{vfilter}""",
        args,
    ).fetchone()
    closed, resolved, failed, withdrawn, amount, agreements = (v or 0 for v in crow)
    frow = conn.execute(
        f"""
        SELECT count(*), sum(satisfaction IN {V.SATISFIED_IN}), sum(satisfaction != '')
        FROM dispute_followups WHERE deleted = 0 AND visited_on >= :start AND visited_on < :end{vfilter}""",
        args,
    ).fetchone()
    followups, satisfied, rated = (v or 0 for v in frow)
    return {
        "total": total,
        "open": open_,
        "closed": closed,
        "resolved": resolved,
        "failed": failed,
        "withdrawn": withdrawn,
        "success_rate": _rate(resolved, resolved + failed),
        "overdue": overdue,
        "agreements": agreements,
        "agreement_amount_cents": amount,
        "by_type": by_type,
        "by_level": {"red": red, "yellow": yellow, "blue": blue},
        "by_month_type": by_month,
        "prevented_criminal": pc,
        "prevented_criminal_people": pcp,
        "prevented_petition": pp,
        "prevented_petition_people": ppp,
        "followups": followups,
        "followup_satisfaction_rate": _rate(satisfied, rated),
    }


def _sql_order(value) -> tuple:
    """SQLite's order of GROUP BY keys: NULL, numbers, text (binary, i.e. by code point)."""
    if value is None:
        return (0, 0, "")
    if isinstance(value, (int, float)):
        return (1, value, "")
    return (2, 0, str(value))


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _covering(conn, vfilter: str, index: str) -> str:
    """``INDEXED BY`` the covering index of migration 0015 for the whole township (SQLite, without
    statistics, would take the narrower date index and read every row of the year from the table)."""
    return "" if vfilter or not _has_index(conn, index) else f" INDEXED BY {index}"


def _trainings(conn, vfilter: str, args: dict) -> dict:
    period = f"deleted = 0 AND held_on >= :start AND held_on < :end{vfilter}"
    sessions_from = f"trainings{_covering(conn, vfilter, 'trainings_live_stats')}"
    row = conn.execute(
        f"""
        SELECT count(*), sum(training_type IN {_in(vocab.STUDY_TYPES)}),
               sum(training_type IN {_in(vocab.SEMINAR_TYPES)})
        FROM {sessions_from} WHERE {period}""",
        args,
    ).fetchone()
    sessions, study, seminars = (v or 0 for v in row)
    by_type = dict.fromkeys(vocab.TRAINING_TYPES, 0)
    for t, n in conn.execute(f"SELECT training_type, count(*) FROM {sessions_from} WHERE {period} GROUP BY 1", args):
        by_type[t] = n
    arow = conn.execute(
        f"""
        SELECT count(*), sum(a.signed_in), sum(a.signed_in AND a.exam_passed IS NOT NULL),
               sum(a.signed_in AND a.exam_passed = 1)
        FROM training_attendance a JOIN trainings t ON t.id = a.training_id
        WHERE a.deleted = 0 AND t.deleted = 0 AND t.held_on >= :start AND t.held_on < :end
              {vfilter.replace('village_code', 't.village_code')}""",
        args,
    ).fetchone()
    invited, attended, takers, passed = (v or 0 for v in arow)
    return {
        "sessions": sessions,
        "study": study,
        "seminars": seminars,
        "by_type": by_type,
        "invited": invited,
        "attendances": attended,
        "attendance_rate": _rate(attended, invited),
        "exam_takers": takers,
        "exam_passed": passed,
        "exam_pass_rate": _rate(passed, takers),
    }


def _hotline(conn, vfilter: str, args: dict) -> dict:
    period = (
        f"FROM hotline_calls{_covering(conn, vfilter, 'hotline_live_stats')} WHERE deleted = 0 "
        f"AND called_at >= :start AND called_at < :end{vfilter}"
    )
    row = conn.execute(
        f"""
        SELECT count(*), sum(channel = '电话'), sum(channel = '来访'), sum(channel = '网上'),
               sum(satisfaction IN {V.SATISFIED_IN}), sum(satisfaction != ''), sum(legal_aid),
               sum(anonymous)
        {period}""",
        args,
    ).fetchone()
    total, calls, visits, online, satisfied, rated, legal_aid, anonymous = (v or 0 for v in row)
    by_category = dict.fromkeys(vocab.HOTLINE_CATEGORIES, 0)
    for c, n in conn.execute(f"SELECT category, count(*) {period} GROUP BY 1", args):
        by_category[c] = n
    referrals = {r: 0 for r in vocab.REFERRALS if r}
    for r, n in conn.execute(f"SELECT referral, count(*) {period} AND referral != '' GROUP BY 1", args):
        referrals[r] = n
    return {
        "consultations": total,
        "calls": calls,
        "visits": visits,
        "online": online,
        "by_category": by_category,
        "referrals": referrals,
        "legal_aid": legal_aid,
        "anonymous": anonymous,
        "rated": rated,
        "satisfaction_rate": _rate(satisfied, rated),
    }


def _publicity(conn, vfilter: str, args: dict) -> dict:
    period = f"deleted = 0 AND held_on >= :start AND held_on < :end{vfilter}"
    events_from = f"publicity_events{_covering(conn, vfilter, 'publicity_live_stats')}"
    row = conn.execute(
        f"""
        SELECT count(*), sum(form = '讲座'), sum(form = '专项治理'), coalesce(sum(audience), 0)
        FROM {events_from} WHERE {period}""",
        args,
    ).fetchone()
    events, lectures, campaigns, audience = (v or 0 for v in row)
    by_form = dict.fromkeys(vocab.PUBLICITY_FORMS, 0)
    for f, n in conn.execute(f"SELECT form, count(*) FROM {events_from} WHERE {period} GROUP BY 1", args):
        by_form[f] = n
    materials_by_kind = dict.fromkeys(vocab.MATERIAL_KINDS, 0)
    for k, n in conn.execute(
        f"""
            SELECT m.kind, sum(m.quantity) FROM publicity_materials m JOIN publicity_events e ON e.id = m.event_id
            WHERE m.deleted = 0 AND e.deleted = 0 AND e.held_on >= :start AND e.held_on < :end
            {vfilter.replace('village_code', 'e.village_code')} GROUP BY 1""",
        args,
    ):
        materials_by_kind[k] = n
    return {
        "events": events,
        "lectures": lectures,
        "campaigns": campaigns,
        "audience": audience,
        "by_form": by_form,
        "materials": sum(materials_by_kind.values()),
        "materials_by_kind": materials_by_kind,
    }
