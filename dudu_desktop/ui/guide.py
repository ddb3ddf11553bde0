"""Help → 使用说明: the bundled user guide (docs/使用说明.md), rendered offline in the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImageReader, QTextCursor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from dudu_desktop.i18n import _
from dudu_desktop.ui.geometry import fit_to_screen

GUIDE_NAME = "使用说明.md"
PICTURE_WIDTH = 820         # the guide's screenshots (1366 px wide) shown at this width: no sideways scrolling


def guide_path() -> Path | None:
    """The guide beside the program: the source tree's docs/, or the frozen build's docs/."""
    here = Path(__file__).resolve().parent.parent            # the dudu_desktop package
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
            self.browser.setSearchPaths([str(path.parent)])      # the screenshots beside it
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
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
                if size.width() > width:
                    image.setWidth(width)
                    image.setHeight(size.height() * width / size.width())
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
