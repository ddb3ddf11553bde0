"""首页: this month at a glance. Each figure is a button that opens the register behind it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QGroupBox, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from dudu_desktop.domain import vocab
from dudu_desktop.i18n import N_, _, format_month
from dudu_desktop.services import home, site, stats
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui import style
from dudu_desktop.ui.charts import BarChart, Series

THIS_YEAR_COLOUR, LAST_YEAR_COLOUR = "#1e63c4", "#a8b8cc"
TYPE_COLOUR, VILLAGE_COLOUR = "#2e7d6b", "#6a4fb3"
LEVELS = (
    ("red", vocab.WarningLevel.RED, N_("Red warning")),
    ("yellow", vocab.WarningLevel.YELLOW, N_("Yellow warning")),
    ("blue", vocab.WarningLevel.BLUE, N_("Blue warning")),
)


@dataclass(frozen=True)
class Chart:
    """One chart of the home page: its bars and, for each bar, the register filter behind it."""

    key: str
    title: str
    categories: list[str]
    series: list[Series]
    filters: list[list[Filters]]  # [series][category]
    colours: list[str] | None = None
    horizontal: bool = False


def dispute_charts(ctx: Context) -> list[Chart]:
    """The disputes of this year drawn: per month against last year, by type, by warning level and,
    at the township, per village. The figures are those of ``stats --json`` (services.stats), and
    each bar's filter lists the same disputes in the register (registered in that period)."""
    conn, today = ctx.conn, ctx.today()
    year = today.year
    now = stats.compute_stats(conn, year=year, today=today)["disputes"]
    before = stats.compute_stats(conn, year=year - 1, today=today)["disputes"]
    whole_year = Filters(date_from=f"{year}-01-01", date_to=f"{year}-12-31")

    def per_month(figures: dict, y: int) -> tuple[int, ...]:
        return tuple(sum(figures["by_month_type"].get(f"{y:04d}-{m:02d}", {}).values()) for m in range(1, 13))

    months = [_("{m} mo.").format(m=m) for m in range(1, 13)]
    charts = [
        Chart(
            "months",
            _("Disputes registered per month: {year} and {last}").format(year=year, last=year - 1),
            months,
            [
                Series(_("Year {year}").format(year=year), THIS_YEAR_COLOUR, per_month(now, year)),
                Series(_("Year {year}").format(year=year - 1), LAST_YEAR_COLOUR, per_month(before, year - 1)),
            ],
            [[Filters(month=f"{y:04d}-{m:02d}") for m in range(1, 13)] for y in (year, year - 1)],
        )
    ]
    types = sorted(((t, n) for t, n in now["by_type"].items() if n), key=lambda tn: -tn[1])
    charts.append(
        Chart(
            "types",
            _("By type ({year})").format(year=year),
            [t for t, _n in types],
            [Series(str(year), TYPE_COLOUR, tuple(n for _t, n in types))],
            [[whole_year.with_(type=t) for t, _n in types]],
            horizontal=True,
        )
    )
    charts.append(
        Chart(
            "levels",
            _("By warning level ({year})").format(year=year),
            [_(label) for _k, _lvl, label in LEVELS],
            [Series(str(year), THIS_YEAR_COLOUR, tuple(now["by_level"][k] for k, _l, _n in LEVELS))],
            [[whole_year.with_(level=str(level)) for _k, level, _n in LEVELS]],
            colours=[style.LEVEL_STRONG[str(level)] for _k, level, _n in LEVELS],
        )
    )
    if (site.site(conn) or {}).get("role") == site.TOWNSHIP:
        per_village = home.disputes_per_village(conn, year)  # one query, not a compute_stats per village
        counts = [(v["code"], v["name"], per_village.get(v["code"], 0)) for v in site.villages(conn)]
        counts.sort(key=lambda c: -c[2])
        charts.append(
            Chart(
                "villages",
                _("Per village ({year})").format(year=year),
                [n for _c, n, _v in counts],
                [Series(str(year), VILLAGE_COLOUR, tuple(v for _c, _n, v in counts))],
                [[whole_year.with_(village=c) for c, _n, _v in counts]],
                horizontal=True,
            )
        )
    return charts


def bundle_text(info: dict | None) -> str:
    if not info:
        return _("None yet")
    parts = [info.get("at", "")]
    if info.get("path"):
        parts.append(str(info["path"]))
    if info.get("seq") is not None:
        parts.append(_("up to change {seq}").format(seq=info["seq"]))
    return "    ".join(p for p in parts if p)


class FigureButton(QPushButton):
    """A large number over its label; the whole tile is one button (Tab + Space work too)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        v = QVBoxLayout(self)
        v.setContentsMargins(16, 8, 16, 8)
        self.number = QLabel()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        for w in (self.number, self.caption):
            w.setAttribute(Qt.WA_TransparentForMouseEvents)
            v.addWidget(w)
        self.setMinimumHeight(84)
        self.setStyleSheet(
            "QPushButton { border: 1px solid #d0d7e2; border-radius: 6px; background: #fff; }"
            "QPushButton:hover { background: #eef4ff; border-color: #1e63c4; }"
            "QPushButton:focus { border: 2px solid #1e63c4; }"
        )

    def set_figure(self, value: int, label: str, colour: str) -> None:
        self.number.setText(str(value))
        self.number.setStyleSheet(f"color: {colour}; font-size: 26px; font-weight: bold;")
        self.caption.setText(label)
        self.caption.setStyleSheet(f"color: {colour}; font-size: 14px;")

    def text_value(self) -> str:
        return self.number.text()


class HomePage(QWidget):
    go = Signal(str, Filters)

    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()  # the page scrolls on a small screen
        self.scroll.setObjectName("homeScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll)
        content = QWidget()
        content.setObjectName("homeContent")
        self.scroll.setWidget(content)
        v = QVBoxLayout(content)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        v.addWidget(self.title)
        self.criteria = QLabel()
        self.criteria.setWordWrap(True)
        self.criteria.setStyleSheet("color: #5f6368;")
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setSpacing(12)
        v.addWidget(self.grid_box)
        self.charts_box = QGroupBox()
        self.charts_box.setObjectName("homeCharts")
        self.chart_grid = QGridLayout(self.charts_box)
        self.chart_grid.setSpacing(12)
        hint = QLabel(_("Click a bar to open those disputes in the register."))
        hint.setStyleSheet("color: #5f6368;")
        hint.setWordWrap(True)
        self.chart_grid.addWidget(hint, 0, 0, 1, 2)
        self.chart_grid.setColumnStretch(0, 1)
        self.chart_grid.setColumnStretch(1, 1)
        self.charts: dict[str, BarChart] = {}
        self.chart_data: dict[str, Chart] = {}
        v.addWidget(self.charts_box)
        v.addWidget(self.criteria)
        box = QGroupBox(_("USB bundles"))
        g = QGridLayout(box)
        self.last_export = QLabel()
        self.last_import = QLabel()
        for w in (self.last_export, self.last_import):
            w.setWordWrap(True)
        g.addWidget(QLabel(_("Last bundle exported:")), 0, 0)
        g.addWidget(self.last_export, 0, 1)
        g.addWidget(QLabel(_("Last bundle imported:")), 1, 0)
        g.addWidget(self.last_import, 1, 1)
        g.setColumnStretch(1, 1)
        v.addWidget(box)
        v.addStretch(1)
        self.buttons: dict[str, FigureButton] = {}
        self.figures: dict[str, home.Figure] = {}
        self.refresh()

    def _go(self, key: str) -> None:
        fig = self.figures[key]
        self.go.emit(fig.register, fig.filters)

    def open_bar(self, key: str, category: int, series: int = 0) -> None:
        """A bar was clicked: the register lists the disputes it counts."""
        self.go.emit("disputes", self.chart_data[key].filters[series][category])

    # where each chart sits: (row, column, column span); the month chart is wide
    CHART_PLACES = {"months": (1, 0, 2), "types": (2, 0, 1), "levels": (2, 1, 1), "villages": (3, 0, 2)}

    def refresh_charts(self) -> None:
        self._charts_stale = False
        year = self.ctx.today().year
        self.charts_box.setTitle(_("Disputes registered in {year}").format(year=year))
        for data in dispute_charts(self.ctx):
            chart = self.charts.get(data.key)
            if chart is None:
                chart = BarChart(data.title, horizontal=data.horizontal)
                chart.setObjectName(f"chart_{data.key}")
                chart.activated.connect(lambda c, s, key=data.key: self.open_bar(key, c, s))
                row, col, span = self.CHART_PLACES[data.key]
                self.chart_grid.addWidget(chart, row, col, 1, span)
                self.charts[data.key] = chart
            chart.title = data.title
            chart.setAccessibleName(data.title)
            chart.empty_text = _("No disputes registered in {year}.").format(year=year)
            chart.set_data(data.categories, data.series, data.colours)
            self.chart_data[data.key] = data

    def refresh(self) -> None:
        today = self.ctx.today()
        info = site.site(self.ctx.conn) or {}
        self.title.setText(
            _("{place}: {month} at a glance").format(
                place=info.get("name", ""), month=format_month(today.year, today.month)
            )
        )
        for i, fig in enumerate(home.figures(self.ctx)):
            b = self.buttons.get(fig.key)
            if b is None:
                b = FigureButton()
                b.setObjectName(f"figure_{fig.key}")
                b.setToolTip(_("Click to see these records"))
                b.clicked.connect(lambda _c=False, key=fig.key: self._go(key))
                self.grid.addWidget(b, i // 3, i % 3)
                self.buttons[fig.key] = b
            colour = style.LEVEL_STRONG.get(fig.level, "#1f1f1f")
            if fig.key == "overdue" and fig.value:
                colour = style.OVERDUE_TEXT
            b.set_figure(fig.value, _(fig.label), colour)
            self.figures[fig.key] = fig
        criteria = site.warning_criteria(self.ctx.conn)
        self.criteria.setText(
            _(
                "Overdue: not concluded within {days} days of registration. "
                "Follow-up due: mediated successfully, concluded at least 7 days ago, "
                "no follow-up visit yet."
            ).format(days=site.overdue_days(self.ctx.conn))
            + "\n"
            + "\n".join(f"{k}：{v}" for k, v in criteria.items())
        )
        bundles = home.last_bundles(self.ctx.conn)
        self.last_export.setText(bundle_text(bundles["export"]))
        self.last_import.setText(bundle_text(bundles["import"]))
        # the charts read a year of figures (per village at the township): only for a page in view;
        # a hidden one draws them when it is shown again
        self._charts_stale = not self.isVisible()
        if not self._charts_stale:
            self.refresh_charts()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if getattr(self, "_charts_stale", False):
            self.refresh_charts()
