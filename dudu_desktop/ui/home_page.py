"""首页: this month at a glance. Each figure is a button that opens the register behind it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from dudu_desktop.i18n import _, format_month
from dudu_desktop.services import home, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui import style


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
        self.setStyleSheet("QPushButton { border: 1px solid #d0d7e2; border-radius: 6px; background: #fff; }"
                           "QPushButton:hover { background: #eef4ff; border-color: #1e63c4; }"
                           "QPushButton:focus { border: 2px solid #1e63c4; }")

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
        v = QVBoxLayout(self)
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

    def refresh(self) -> None:
        today = self.ctx.today()
        info = site.site(self.ctx.conn) or {}
        self.title.setText(_("{place}: {month} at a glance").format(place=info.get("name", ""),
                                                                  month=format_month(today.year, today.month)))
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
        self.criteria.setText(_("Overdue: not concluded within {days} days of registration. "
                                "Follow-up due: mediated successfully, concluded at least 7 days ago, "
                                "no follow-up visit yet.").format(days=site.overdue_days(self.ctx.conn))
                              + "\n" + "\n".join(f"{k}：{v}" for k, v in criteria.items()))
        bundles = home.last_bundles(self.ctx.conn)
        self.last_export.setText(bundle_text(bundles["export"]))
        self.last_import.setText(bundle_text(bundles["import"]))
