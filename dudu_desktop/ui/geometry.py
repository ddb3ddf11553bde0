"""Every window and dialog fits the screen it opens on.

:func:`fit_to_screen` sizes a top-level widget to its preferred size, but no larger than the
*available* geometry of its screen (the taskbar excluded) less the window frame, and centres it
over its parent window (or the screen), kept inside the screen. Used by every window and dialog
instead of ``resize``; a long form scrolls inside (:func:`scrolling`) so that the dialog's
buttons stay on screen down to 1024×768.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QScrollArea, QWidget

#: what the window manager adds around a window (title bar, borders) before the window is shown
FRAME = QSize(16, 40)


def screen_of(widget: QWidget):
    """The screen the widget opens on: its parent window's, else its own, else the primary."""
    parent = widget.parentWidget()
    window = parent.window() if parent is not None else None
    screen = (window.screen() if window is not None else None) or widget.screen()
    return screen or QGuiApplication.primaryScreen()


def available_geometry(widget: QWidget) -> QRect:
    return screen_of(widget).availableGeometry()


def fit_to_screen(widget: QWidget, width: int, height: int, *, centre: bool = True) -> QSize:
    """Resize ``widget`` to min(preferred, available) and centre it; returns the size set."""
    avail = available_geometry(widget)
    room_w, room_h = max(200, avail.width() - FRAME.width()), max(200, avail.height() - FRAME.height())
    size = QSize(min(width, room_w), min(height, room_h))
    widget.resize(size)
    if centre:
        place(widget, avail)
    return size


def place(widget: QWidget, avail: QRect | None = None) -> None:
    """Centre over the parent window (or the screen), then move inside the available area."""
    avail = avail or available_geometry(widget)
    parent = widget.parentWidget()
    over = parent.window().frameGeometry() if parent is not None and parent.window().isVisible() else avail
    w, h = widget.width() + FRAME.width(), widget.height() + FRAME.height()
    x = over.x() + (over.width() - w) // 2
    y = over.y() + (over.height() - h) // 2
    x = max(avail.left(), min(x, avail.right() + 1 - w))
    y = max(avail.top(), min(y, avail.bottom() + 1 - h))
    widget.move(x, y)


def keep_on_screen(widget: QWidget) -> None:
    """After restoring a saved geometry (perhaps from a larger screen): shrink and move it inside."""
    avail = available_geometry(widget)
    frame = widget.frameGeometry()
    if widget.width() + FRAME.width() > avail.width() or widget.height() + FRAME.height() > avail.height():
        fit_to_screen(widget, widget.width(), widget.height())
    elif not avail.contains(frame):
        place(widget, avail)


def scrolling(inner: QWidget) -> QScrollArea:
    """``inner`` in a frameless scroll area that it fills: the form scrolls when the screen is too
    small for it, and the dialog's buttons (outside the scroll area) stay in view."""
    scroll = QScrollArea()
    scroll.setObjectName("formScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setWidget(inner)
    return scroll


def keep_height(field: QWidget) -> None:
    """A field keeps its own height when a message appears under it (never squashed by it)."""
    if not isinstance(field, QAbstractScrollArea):  # text boxes have their own minimum
        field.setMinimumHeight(max(field.minimumHeight(), field.sizeHint().height()))


def grow_to_fit(widget: QWidget) -> None:
    """The window of ``widget`` grows (within its screen) to show what was just added, e.g. messages
    under the fields: word-wrapped labels do not raise a shown window's minimum height by themselves."""
    window = widget.window()
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    layout.activate()
    need = layout.totalHeightForWidth(window.width()) if layout.hasHeightForWidth() else -1
    need = max(need, layout.totalMinimumSize().height())
    room = available_geometry(window).height() - FRAME.height()
    if need > window.height():
        window.resize(window.width(), min(need, room))
