"""Help → 使用说明: the bundled user guide (docs/使用说明.md), rendered offline in the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QDesktopServices, QImageReader, QTextCursor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from dudu_desktop.i18n import _
from dudu_desktop.ui.geometry import fit_to_screen

GUIDE_NAME = "使用说明.md"
PICTURE_WIDTH = 820  # the guide's screenshots (1366 px wide) shown at this width: no sideways scrolling
#                             (narrower when the window is: see GuideDialog.fit_width)


def guide_path() -> Path | None:
    """The guide beside the program: the source tree's docs/, or the frozen build's docs/."""
    here = Path(__file__).resolve().parent.parent  # the dudu_desktop package
    candidates = [here / "docs" / GUIDE_NAME, here.parent / "docs" / GUIDE_NAME]
    if getattr(sys, "_MEIPASS", None):
        candidates.insert(0, Path(sys._MEIPASS) / "docs" / GUIDE_NAME)
    return next((p for p in candidates if p.is_file()), None)


class GuideDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(_("User guide"))
        self.setObjectName("guideDialog")
        v = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideText")
        self.browser.setOpenExternalLinks(False)
        path = guide_path()
        if path is None:
            self.browser.setPlainText(_("The user guide is not installed with this copy of the program."))
        else:
            self.browser.setSearchPaths([str(path.parent)])  # the screenshots beside it
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
            wrap_code(self.browser)
            unlink_missing(self.browser, path.parent)
            self.base = path.parent
            fit_pictures(self.browser, path.parent, PICTURE_WIDTH)
            # a link to a picture (the list of the 1024×768 pictures): opened in the picture viewer
            self.browser.setOpenLinks(False)
            self.browser.anchorClicked.connect(lambda url, base=path.parent: open_link(base, url))
        v.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.Close).setText(_("Close"))
        v.addWidget(buttons)
        fit_to_screen(self, 900, 700)

    base: Path | None = None

    def fit_width(self) -> int:
        """The width a picture may take: the page's, less its margins and a list's indent."""
        doc = self.browser.document()
        room = self.browser.viewport().width() - 2 * int(doc.documentMargin()) - int(doc.indentWidth())
        return max(200, min(PICTURE_WIDTH, room))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.base is not None:
            fit_pictures(self.browser, self.base, self.fit_width())


def unlink_missing(browser: QTextBrowser, base: Path) -> None:
    """A link to a picture that is not beside the guide (the program carries only the pictures the guide
    shows, not the 1024×768 set its appendix lists) becomes plain grey text instead of a dead link."""
    doc = browser.document()
    dead = []  # (start, end, format): changed after the walk
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            url = QUrl(fmt.anchorHref()) if fmt.isAnchor() else None
            if url is not None and url.isRelative() and not (base / url.path()).is_file():
                fmt.setAnchor(False)
                fmt.setAnchorHref("")
                fmt.setFontUnderline(False)
                fmt.setForeground(QColor("#80868b"))
                dead.append((fragment.position(), fragment.position() + fragment.length(), fmt))
            it += 1
        block = block.next()
    cursor = QTextCursor(doc)
    for start, end, fmt in dead:
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.KeepAnchor)
        cursor.setCharFormat(fmt)


def wrap_code(browser: QTextBrowser) -> None:
    """A command in a code block wraps like the text around it instead of widening the page (a
    sideways scroll bar for one long line)."""
    doc = browser.document()
    block = doc.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.nonBreakableLines():
            fmt.setNonBreakableLines(False)
            QTextCursor(block).setBlockFormat(fmt)
        block = block.next()


def fit_pictures(browser: QTextBrowser, base: Path, width: int) -> None:
    """Show every picture (a file under ``base``) wider than ``width`` at that width."""
    doc = browser.document()
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.isImageFormat():
                image = fmt.toImageFormat()
                size = QImageReader(str(base / image.name())).size()
                if size.isValid() and image.width() != min(width, size.width()):  # a missing picture: left be
                    shown = min(width, size.width())
                    image.setWidth(shown)
                    image.setHeight(size.height() * shown / size.width())
                    cursor = QTextCursor(doc)
                    cursor.setPosition(fragment.position())
                    cursor.setPosition(fragment.position() + fragment.length(), QTextCursor.KeepAnchor)
                    cursor.setCharFormat(image)
            it += 1
        block = block.next()


def open_link(base: Path, url: QUrl) -> None:
    """A link in the guide: a picture beside it opens in the system's viewer, a web link in the browser."""
    if url.isRelative():
        target = base / url.path()
        if target.is_file():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
        return
    QDesktopServices.openUrl(url)
