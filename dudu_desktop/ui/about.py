"""帮助 → 关于: the program's name, version and data folder, and the licences of everything shipped
with it (the program's own, the bundled fonts' full texts, Qt/PySide6 under the LGPL, the Python
libraries with the versions actually running)."""

from __future__ import annotations

import html
import importlib.metadata as metadata
import platform
import sys

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop import __version__
from dudu_desktop.i18n import N_, _
from dudu_desktop.paths import data_dir, program_dir, resources_dir
from dudu_desktop.ui.geometry import fit_to_screen

APP_TITLE = "都督乡法治工作台账"
APP_LICENSE = "MIT"
#: (distribution, what it does here, licence). Versions are read at run time (bundled metadata).
COMPONENTS = (
    ("PySide6_Essentials", N_("the window (Qt for Python)"), "LGPL-3.0"),
    ("reportlab", N_("PDF ledgers, agreements, sign-in sheets, annual report"), "BSD"),
    ("babel", N_("dates, numbers and translations"), "BSD-3-Clause"),
    ("openpyxl", N_("spreadsheets (.xlsx)"), "MIT"),
    ("cryptography", N_("sealed bundles"), "Apache-2.0 / BSD-3-Clause"),
    ("platformdirs", N_("the data folder"), "MIT"),
)
FONT_LICENSES = (
    ("LICENSE-wqy-microhei.txt", "文泉驿微米黑 WenQuanYi Micro Hei", "Apache-2.0"),
    ("LICENSE-LXGWWenKai-OFL.txt", "霞鹜文楷 LXGW WenKai", "SIL OFL-1.1"),
)


def component_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def read_text(path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _row(name: str, licence: str, role: str, *, bold: bool = False) -> str:
    name = f"<b>{html.escape(name)}</b>" if bold else html.escape(name)
    return f"<tr><td>{name}</td><td>{html.escape(licence)}</td><td>{html.escape(role)}</td></tr>"


def licences_html() -> str:
    rows = [
        _row(f"{APP_TITLE} {__version__}", APP_LICENSE, _("this program"), bold=True),
        _row(f"Python {platform.python_version()}", "PSF", _("the language the program is written in")),
        _row(f"Qt {qVersion()}", "LGPL-3.0", _("the window toolkit")),
    ]
    for dist, role, licence in COMPONENTS:
        name = "PySide6" if dist == "PySide6_Essentials" else dist
        version = component_version(dist) or (PySide6.__version__ if name == "PySide6" else "")
        rows.append(_row(f"{name} {version}".strip(), licence, _(role)))
    rows.append(_row("SQLite", _("public domain"), _("the database file")))
    for _file, font, licence in FONT_LICENSES:
        rows.append(_row(font, licence, _("font for the screen and for printing")))
    cell = "style='padding: 2px 10px 2px 0'"
    table = "".join(r.replace("<td>", f"<td {cell}>") for r in rows)
    lgpl = _(
        "Qt and PySide6 are used under the GNU Lesser General Public License version 3 (LGPL-3.0). "
        "They are linked dynamically: their libraries are separate files in the program folder and may be "
        "replaced by compatible builds. Their source code is available from the Qt Project "
        "(download.qt.io, code.qt.io). The licence texts are in the folder {folder}."
    )
    fonts = _(
        "The fonts are bundled for printing when the Windows fonts (SimSun, SimHei, SimKai, FangSong) "
        "are missing; their licences follow in full on the next pages."
    )
    return (
        f"<table>{table}</table><p>{html.escape(lgpl.format(folder=str(resources_dir() / 'licenses')))}</p>"
        f"<p>{html.escape(fonts)}</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(_("About {app}").format(app=APP_TITLE))
        fit_to_screen(self, 720, 560)
        layout = QVBoxLayout(self)

        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(self.windowIcon().pixmap(64, 64))
        head.addWidget(icon, 0, Qt.AlignTop)
        self.title = QLabel(
            f"<span style='font-size: 20px; font-weight: bold'>{html.escape(APP_TITLE)}</span><br>Dudu Desktop"
        )
        self.version = QLabel(_("Version {version}").format(version=__version__))
        self.version.setObjectName("version")
        self.version.setTextInteractionFlags(Qt.TextSelectableByMouse)
        texts = QVBoxLayout()
        texts.addWidget(self.title)
        texts.addWidget(self.version)
        summary = QLabel(
            _(
                "Offline registers of the township's rule-of-law work: disputes and mediation, "
                "training and study, hotline and consultations, publicity events."
            )
        )
        summary.setWordWrap(True)
        texts.addWidget(summary)
        head.addLayout(texts, 1)
        layout.addLayout(head)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._info_page(), _("This program"))
        self.licences = QTextBrowser()
        self.licences.setObjectName("licences")
        self.licences.setOpenExternalLinks(False)
        self.licences.setHtml(licences_html())
        self.tabs.addTab(self.licences, _("Licences"))
        for file, font, _licence in FONT_LICENSES:
            text = QPlainTextEdit(
                read_text(resources_dir() / "fonts" / file)
                or _("The licence file {file} is missing.").format(file=file)
            )
            text.setReadOnly(True)
            text.setObjectName(file)
            self.tabs.addTab(text, font.split(" ")[0])
        lgpl = QPlainTextEdit(
            read_text(resources_dir() / "licenses" / "LGPL-3.0.txt")
            or _("The licence file {file} is missing.").format(file="LGPL-3.0.txt")
        )
        lgpl.setReadOnly(True)
        self.tabs.addTab(lgpl, "LGPL-3.0")
        layout.addWidget(self.tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _info_page(self) -> QWidget:
        info = QLabel()
        info.setObjectName("info")
        info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        info.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        info.setWordWrap(True)
        frozen = getattr(sys, "frozen", False)
        lines = (
            (_("Version"), __version__),
            (_("Program folder"), str(program_dir())),
            (_("Data folder"), str(data_dir())),
            (_("Built"), _("installed program") if frozen else _("running from the source code")),
            (_("Python / Qt"), f"{platform.python_version()} / Qt {qVersion()}, PySide6 {PySide6.__version__}"),
            (_("System"), f"{platform.system()} {platform.release()} ({platform.machine()})"),
        )
        info.setText(
            "<table>"
            + "".join(
                f"<tr><td style='padding: 3px 14px 3px 0'>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                for k, v in lines
            )
            + "</table>"
        )
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(info)
        v.addStretch(1)
        return page
