"""First run: this PC is a village (code + name) or the township; or open the demo data."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QRadioButton, QVBoxLayout, QWidget,
)

from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _
from dudu_desktop.paths import data_dir
from dudu_desktop.services import demo, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.ui.forms import error_label, mark_error


class FirstRunWizard(QDialog):
    """On OK, ``db_path`` is the database to open (the same file, or the demo file)."""

    def __init__(self, ctx: Context, db_path, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.db_path = Path(db_path) if db_path else None
        self.setWindowTitle(_("Welcome: set up this PC"))
        v = QVBoxLayout(self)
        intro = QLabel(_("This database is new. Tell the program whether this PC is used by a village "
                         "(村/社区) or by the township, or open the demo data to try the program out."))
        intro.setWordWrap(True)
        v.addWidget(intro)
        self.village_radio = QRadioButton(_("This PC belongs to a village"))
        self.township_radio = QRadioButton(_("This PC belongs to the township"))
        self.demo_radio = QRadioButton(_("Open demo data (a township with 5 villages, in a separate file)"))
        group = QButtonGroup(self)
        for r in (self.village_radio, self.township_radio, self.demo_radio):
            group.addButton(r)
            v.addWidget(r)
        self.village_radio.setChecked(True)

        self.details = QWidget()
        form = QFormLayout(self.details)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.code = QLineEdit()
        self.code.setObjectName("code")
        self.code.setPlaceholderText("500243104201")
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.township_code = QLineEdit()
        self.township_code.setPlaceholderText("500243104000")
        self.township_name = QLineEdit()
        self.township_name.setPlaceholderText("都督乡")
        self.code_error, self.name_error, self.tcode_error = error_label(), error_label(), error_label()
        self.code_label = QLabel(_("Village code (12 digits)"))
        self.name_label = QLabel(_("Village name"))
        form.addRow(self.code_label, self._with(self.code, self.code_error))
        form.addRow(self.name_label, self._with(self.name, self.name_error))
        self.tcode_label = QLabel(_("Township code"))
        self.tname_label = QLabel(_("Township name"))
        form.addRow(self.tcode_label, self._with(self.township_code, self.tcode_error))
        form.addRow(self.tname_label, self.township_name)
        v.addWidget(self.details)

        self.demo_box = QWidget()
        h = QHBoxLayout(self.demo_box)
        h.setContentsMargins(0, 0, 0, 0)
        self.demo_path = QLineEdit(str(data_dir() / "demo.sqlite3"))
        browse = QPushButton(_("Choose…"))
        browse.clicked.connect(self.choose_demo_file)
        h.addWidget(QLabel(_("Demo file:")))
        h.addWidget(self.demo_path, 1)
        h.addWidget(browse)
        v.addWidget(self.demo_box)
        self.banner = error_label()
        v.addWidget(self.banner)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(_("Start"))
        buttons.button(QDialogButtonBox.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.finish)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        for r in (self.village_radio, self.township_radio, self.demo_radio):
            r.toggled.connect(self._mode_changed)
        self._mode_changed()
        self.setMinimumWidth(560)

    @staticmethod
    def _with(editor, error) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(editor)
        v.addWidget(error)
        return box

    def _mode_changed(self, *_args) -> None:
        village = self.village_radio.isChecked()
        self.details.setVisible(not self.demo_radio.isChecked())
        self.demo_box.setVisible(self.demo_radio.isChecked())
        for w in (self.tcode_label, self.township_code, self.tname_label, self.township_name):
            w.setVisible(village)
        self.code_label.setText(_("Village code (12 digits)") if village else _("Township code (12 digits)"))
        self.name_label.setText(_("Village name") if village else _("Township name"))

    def choose_demo_file(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, _("Demo file"), self.demo_path.text(),
                                                    _("Database (*.sqlite3)"))
        if path:
            self.demo_path.setText(path)

    def finish(self) -> bool:
        self.banner.setVisible(False)
        try:
            if self.demo_radio.isChecked():
                path = Path(self.demo_path.text().strip())
                database = open_database(path)
                demo_ctx = Context(db=database, user=self.ctx.user, role=self.ctx.role, clock=self.ctx.clock)
                if site.site(database.conn) is None:
                    demo.generate(demo_ctx, year=self.ctx.today().year, villages=5, seed=1)
                database.conn.close()
                self.db_path = path
            else:
                role = site.VILLAGE if self.village_radio.isChecked() else site.TOWNSHIP
                site.init_site(self.ctx, role=role, code=self.code.text().strip(), name=self.name.text(),
                               township_code=self.township_code.text().strip() if role == site.VILLAGE else "",
                               township_name=self.township_name.text() if role == site.VILLAGE else "")
        except Refused as exc:
            by_field = exc.by_field()
            mark_error(self.code, by_field.get("code"), self.code_error)
            mark_error(self.name, by_field.get("name"), self.name_error)
            mark_error(self.township_code, by_field.get("township_code"), self.tcode_error)
            rest = [m for k, msgs in by_field.items() if k not in ("code", "name", "township_code") for m in msgs]
            self.banner.setText("\n".join(rest))
            self.banner.setVisible(bool(rest))
            return False
        self.accept()
        return True
