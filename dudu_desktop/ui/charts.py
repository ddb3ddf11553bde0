"""A small bar chart drawn with QPainter (QtCharts is not in pyside6-essentials).

Categories along one axis (months, types, villages…), one or more series side by side in each
(this year and last year). Every bar is a target: a click, or Enter/Space on the bar chosen with
the arrow keys, emits :attr:`BarChart.activated` ``(category, series)``; the hover shows the
figure in a tooltip. Vertical charts (columns) suit few short categories (12 months, 3 levels);
horizontal ones (rows) suit long names (dispute types, villages), each name on its own line.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from dudu_desktop.i18n import _

AXIS = QColor("#9aa0a6")
GRID = QColor("#e3e6ea")
LABEL = QColor("#3c4043")
FOCUS = QColor("#0b3d91")


@dataclass(frozen=True)
class Series:
    name: str
    colour: str  # one colour for the series, or see ``colours`` of BarChart.set_data
    values: tuple[int, ...]


def nice_step(top: int, ticks: int = 4) -> int:
    """A round step (1, 2, 5 × 10ⁿ) so that ``ticks`` steps reach at least ``top``."""
    raw = max(top, 1) / ticks
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for m in (1, 2, 5, 10):
        if m * magnitude >= raw:
            return m * magnitude
    return 10 * magnitude


class BarChart(QWidget):
    activated = Signal(int, int)  # category, series

    ROW = 24  # height of one category in a horizontal chart
    PAD = 8

    def __init__(self, title: str = "", *, horizontal: bool = False, parent=None):
        super().__init__(parent)
        self.title = title
        self.horizontal = horizontal
        self.categories: list[str] = []
        self.series: list[Series] = []
        self.colours: list[str] | None = None  # per category (warning levels), overrides the series colour
        self.empty_text = _("Nothing to show yet.")
        self.current: tuple[int, int] | None = None  # the bar chosen with the keyboard
        self.hover: tuple[int, int] | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed if horizontal else QSizePolicy.Preferred)
        self.setAccessibleName(title)
        self.setMinimumHeight(self.minimumSizeHint().height())

    # --- data ---------------------------------------------------------------------------------------
    def set_data(self, categories: list[str], series: list[Series], colours: list[str] | None = None) -> None:
        assert all(len(s.values) == len(categories) for s in series)
        self.categories, self.series, self.colours = list(categories), list(series), colours
        if self.current and not self._valid(self.current):
            self.current = None
        self.hover = None
        self.setMinimumHeight(self.minimumSizeHint().height())
        self.updateGeometry()
        self.update()

    def value(self, category: int, series: int = 0) -> int:
        return self.series[series].values[category]

    def _valid(self, bar) -> bool:
        return 0 <= bar[0] < len(self.categories) and 0 <= bar[1] < len(self.series)

    def _top(self) -> int:
        return max((v for s in self.series for v in s.values), default=0)

    # --- geometry -----------------------------------------------------------------------------------
    def _fonts(self) -> tuple[QFont, QFont]:
        title = QFont(self.font())
        title.setBold(True)
        title.setPointSizeF(self.font().pointSizeF() * 1.1)
        small = QFont(self.font())
        return title, small

    def _header_height(self) -> int:
        title, small = self._fonts()
        h = QFontMetrics(title).height() + self.PAD
        if len(self.series) > 1:
            h += QFontMetrics(small).height() + 4
        return h

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, self.minimumSizeHint().height() if self.horizontal else 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        fm = QFontMetrics(self.font())
        if self.horizontal:
            rows = max(len(self.categories), 1) * self.ROW
            return QSize(260, self._header_height() + rows + self.PAD * 2)
        return QSize(260, self._header_height() + fm.height() * 2 + 120)

    def _plot(self) -> QRectF:
        """The area of the bars (inside the axis labels)."""
        fm = QFontMetrics(self.font())
        r = QRectF(self.rect()).adjusted(self.PAD, self._header_height(), -self.PAD, -self.PAD)
        if self.horizontal:
            names = max((fm.horizontalAdvance(c) for c in self.categories), default=0)
            left = min(names + 8, r.width() * 0.4)
            number = fm.horizontalAdvance(str(self._top())) + 8
            return r.adjusted(left, 0, -number, 0)
        axis = fm.horizontalAdvance(str(self._axis_top())) + 6
        return r.adjusted(axis, fm.height() + 2, 0, -(fm.height() + 6))

    def _axis_top(self) -> int:
        step = nice_step(self._top())
        return step * max(1, -(-self._top() // step))

    def slot_rect(self, category: int, series: int) -> QRectF:
        """Where a bar may stand: its clickable area (the full height, so a zero is clickable too)."""
        plot = self._plot()
        n, k = max(len(self.categories), 1), max(len(self.series), 1)
        if self.horizontal:
            row = plot.height() / n
            band = row * 0.75
            y = plot.top() + category * row + (row - band) / 2 + series * band / k
            return QRectF(plot.left(), y, plot.width(), band / k)
        col = plot.width() / n
        band = col * 0.72
        x = plot.left() + category * col + (col - band) / 2 + series * band / k
        return QRectF(x, plot.top(), band / k, plot.height())

    def bar_rect(self, category: int, series: int = 0) -> QRectF:
        """The drawn bar of this figure (empty for a zero)."""
        slot = self.slot_rect(category, series)
        top = self._axis_top() if not self.horizontal else max(self._top(), 1)
        share = self.value(category, series) / top if top else 0
        if self.horizontal:
            return QRectF(slot.left(), slot.top(), slot.width() * share, slot.height())
        h = slot.height() * share
        return QRectF(slot.left(), slot.bottom() - h, slot.width(), h)

    def bar_at(self, pos) -> tuple[int, int] | None:
        p = QPointF(pos)
        for c in range(len(self.categories)):
            for s in range(len(self.series)):
                if self.slot_rect(c, s).contains(p):
                    return c, s
        return None

    def click_point(self, category: int, series: int = 0):
        """A point inside the bar's clickable area (for tests and the keyboard)."""
        return self.slot_rect(category, series).center().toPoint()

    # --- painting -----------------------------------------------------------------------------------
    def _colour(self, category: int, series: int) -> QColor:
        if self.colours and len(self.series) == 1:
            return QColor(self.colours[category])
        return QColor(self.series[series].colour)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.Antialiasing, True)
        p.fillRect(self.rect(), QColor("#ffffff"))
        title_font, small = self._fonts()
        fm = QFontMetrics(small)
        p.setFont(title_font)
        p.setPen(LABEL)
        tfm = QFontMetrics(title_font)
        p.drawText(
            QRectF(self.PAD, self.PAD / 2, self.width() - 2 * self.PAD, tfm.height()),
            Qt.AlignLeft | Qt.AlignVCenter,
            tfm.elidedText(self.title, Qt.ElideRight, self.width() - 2 * self.PAD),
        )
        p.setFont(small)
        if len(self.series) > 1:  # the legend under the title
            x, y = float(self.PAD), self.PAD / 2 + tfm.height() + 4
            for s in self.series:
                p.fillRect(QRectF(x, y + 3, 12, fm.height() - 6), QColor(s.colour))
                x += 16
                p.setPen(LABEL)
                p.drawText(QRectF(x, y, fm.horizontalAdvance(s.name) + 4, fm.height()), Qt.AlignVCenter, s.name)
                x += fm.horizontalAdvance(s.name) + 18
        if not self.categories or self._top() == 0:
            p.setPen(AXIS)
            p.drawText(self._plot(), Qt.AlignCenter | Qt.TextWordWrap, self.empty_text)
            return
        if self.horizontal:
            self._paint_rows(p, fm)
        else:
            self._paint_columns(p, fm)

    def _paint_columns(self, p: QPainter, fm: QFontMetrics) -> None:
        plot = self._plot()
        top = self._axis_top()
        step = nice_step(self._top())
        for tick in range(0, top + 1, step):  # grid lines and their numbers on the left
            y = plot.bottom() - plot.height() * tick / top
            p.setPen(QPen(GRID if tick else AXIS, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(LABEL)
            p.drawText(
                QRectF(0, y - fm.height() / 2, plot.left() - 4, fm.height()), Qt.AlignRight | Qt.AlignVCenter, str(tick)
            )
        col = plot.width() / len(self.categories)
        for c, name in enumerate(self.categories):
            for s in range(len(self.series)):
                self._paint_bar(p, c, s)
                value = self.value(c, s)
                bar = self.bar_rect(c, s)
                text = str(value)
                if value and fm.horizontalAdvance(text) <= bar.width() + 6:
                    p.setPen(LABEL)
                    p.drawText(
                        QRectF(bar.center().x() - 20, bar.top() - fm.height() - 1, 40, fm.height()),
                        Qt.AlignHCenter | Qt.AlignBottom,
                        text,
                    )
            p.setPen(LABEL)
            label = fm.elidedText(name, Qt.ElideRight, int(col))
            p.drawText(
                QRectF(plot.left() + c * col, plot.bottom() + 4, col, fm.height()), Qt.AlignHCenter | Qt.AlignTop, label
            )

    def _paint_rows(self, p: QPainter, fm: QFontMetrics) -> None:
        plot = self._plot()
        row = plot.height() / len(self.categories)
        p.setPen(QPen(AXIS, 1))
        p.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
        for c, name in enumerate(self.categories):
            y = plot.top() + c * row
            p.setPen(LABEL)
            label = fm.elidedText(name, Qt.ElideRight, int(plot.left() - self.PAD - 6))
            p.drawText(QRectF(self.PAD, y, plot.left() - self.PAD - 6, row), Qt.AlignRight | Qt.AlignVCenter, label)
            for s in range(len(self.series)):
                self._paint_bar(p, c, s)
                bar = self.bar_rect(c, s)
                p.setPen(LABEL)
                p.drawText(
                    QRectF(bar.right() + 4, bar.top() - 2, 60, bar.height() + 4), Qt.AlignVCenter, str(self.value(c, s))
                )

    def _paint_bar(self, p: QPainter, c: int, s: int) -> None:
        bar = self.bar_rect(c, s)
        colour = self._colour(c, s)
        if self.hover == (c, s):
            colour = colour.darker(125)
        p.fillRect(bar, colour)
        if self.current == (c, s) and self.hasFocus():
            p.setPen(QPen(FOCUS, 2, Qt.DashLine))
            p.setBrush(Qt.NoBrush)
            p.drawRect(self.slot_rect(c, s).adjusted(-2, -2, 2, 2))

    # --- mouse and keyboard ---------------------------------------------------------------------------
    def tip(self, category: int, series: int) -> str:
        name = self.categories[category]
        if len(self.series) > 1:
            name = f"{self.series[series].name} {name}"
        return _("{what}: {n} — click to see them").format(what=name, n=self.value(category, series))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        bar = self.bar_at(event.position())
        if bar != self.hover:
            self.hover = bar
            self.setCursor(Qt.PointingHandCursor if bar else Qt.ArrowCursor)
            self.update()
        if bar:
            QToolTip.showText(event.globalPosition().toPoint(), self.tip(*bar), self)
        else:
            QToolTip.hideText()

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        self.hover = None
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        bar = self.bar_at(event.position()) if event.button() == Qt.LeftButton else None
        if bar is None:
            super().mousePressEvent(event)
            return
        self.current = bar
        self.update()
        self.activated.emit(*bar)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self.categories:
            super().keyPressEvent(event)
            return
        c, s = self.current or (0, 0)
        key = event.key()
        forward = (Qt.Key_Down, Qt.Key_Right) if self.horizontal else (Qt.Key_Right,)
        backward = (Qt.Key_Up, Qt.Key_Left) if self.horizontal else (Qt.Key_Left,)
        order = [(i, j) for i in range(len(self.categories)) for j in range(len(self.series))]
        i = order.index((c, s))
        if key in forward and self.current is not None:
            self.current = order[min(i + 1, len(order) - 1)]
        elif key in backward and self.current is not None:
            self.current = order[max(i - 1, 0)]
        elif key in forward + backward:
            self.current = (c, s)
        elif key in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space) and self.current is not None:
            self.activated.emit(*self.current)
            return
        else:
            super().keyPressEvent(event)
            return
        self.setToolTip(self.tip(*self.current))
        self.update()
