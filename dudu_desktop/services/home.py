"""The home page's figures ("this month at a glance"), each with the register and filters that
list the records behind it, so the window can click through to them. No Qt here.

Definitions (``today`` is the context's date; "this month" is today's calendar month):

- **new disputes**: disputes registered this month.
- **open, by warning level**: disputes still 待调处 or 调处中 (whenever registered), per level 红/黄/蓝.
- **overdue**: open disputes registered more than the overdue days (settings, 30 by default) ago.
- **follow-ups due**: disputes 已办结 with result 调解成功, no follow-up visit (回访) recorded yet,
  concluded at least :data:`~dudu_desktop.storage.queries.FOLLOWUP_AFTER_DAYS` (7) days ago.
  A closed-out (已销号) case is finished and is not counted.
- **sessions / consultations / events**: records of those registers dated this month.
- **last bundle exported / imported**: the settings ``sync.last_export`` / ``sync.last_import``
  (``{"at", "path", "seq"}``, written by the sync engine), or None.

Every count goes through :func:`dudu_desktop.storage.queries.count_rows`, the same query the
register page runs for the same filters, so a figure and the list behind it always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from dudu_desktop.domain.vocab import WarningLevel
from dudu_desktop.i18n import N_
from dudu_desktop.services import site, stats
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters, count_rows


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # English msgid; translate with _() at display time
    value: int
    register: str
    filters: Filters
    level: str | None = None  # for colouring the open-by-level figures


def month_of(ctx: Context) -> str:
    return ctx.today().strftime("%Y-%m")


def figures(ctx: Context, *, village: str | None = None) -> list[Figure]:
    conn = ctx.conn
    month = month_of(ctx)
    kw = {"today": ctx.today(), "overdue_days": site.overdue_days(conn)}
    base = Filters(village=village)

    def fig(key, label, register, filters, level=None) -> Figure:
        return Figure(key, label, count_rows(conn, register, filters, **kw), register, filters, level)

    out = [fig("new_disputes", N_("New disputes this month"), "disputes", base.with_(month=month))]
    for level, label in (
        (WarningLevel.RED, N_("Open disputes, red warning")),
        (WarningLevel.YELLOW, N_("Open disputes, yellow warning")),
        (WarningLevel.BLUE, N_("Open disputes, blue warning")),
    ):
        out.append(fig(f"open_{level}", label, "disputes", base.with_(open_only=True, level=str(level)), str(level)))
    out += [
        fig("overdue", N_("Overdue disputes"), "disputes", base.with_(overdue=True)),
        fig("followups_due", N_("Follow-up visits due"), "disputes", base.with_(followup_due=True)),
        fig("sessions", N_("Training sessions this month"), "trainings", base.with_(month=month)),
        fig("calls", N_("Consultations this month"), "hotline", base.with_(month=month)),
        fig("events", N_("Publicity events this month"), "publicity", base.with_(month=month)),
    ]
    return out


def last_bundles(conn) -> dict:
    """``{"export": {...} | None, "import": {...} | None}`` from the sync engine's settings."""

    def read(key):
        value = site.get_setting(conn, key)
        return value if isinstance(value, dict) and value.get("at") else None

    return {"export": read("sync.last_export"), "import": read("sync.last_import")}


def disputes_per_village(conn, year: int) -> dict[str, int]:
    """Live disputes registered in ``year`` per village code — each the ``total`` of ``stats --json
    --year Y --village V`` — in one grouped pass over the covering statistics index (the home page's
    village chart; one ``compute_stats`` per village took 4 s at 200 villages and a million disputes)."""
    start, end = stats.period_bounds(year)
    hint = (
        " INDEXED BY disputes_live_stats"
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'disputes_live_stats'").fetchone()
        else ""
    )
    return dict(
        conn.execute(
            f"SELECT village_code, count(*) FROM disputes{hint} WHERE deleted = 0 "
            "AND registered_on >= ? AND registered_on < ? GROUP BY village_code",
            (start, end),
        )
    )
