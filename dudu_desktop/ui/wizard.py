"""First run: this PC is a village (code + name) or the township; or open the demo data."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.validate import village_code_problems
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
        intro = QLabel(
            _(
                "This database is new. Tell the program whether this PC is used by a village "
                "(村/社区) or by the township, or open the demo data to try the program out."
            )
        )
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
        # no grey sample values: an empty field must look empty (a placeholder code reads as filled in)
        self.code = QLineEdit()
        self.code.setObjectName("code")
        self.code.setPlaceholderText(_("12 digits"))
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.township_code = QLineEdit()
        self.township_code.setObjectName("township_code")
        self.township_code.setPlaceholderText(_("12 digits"))
        self.township_name = QLineEdit()
        self.township_name.setObjectName("township_name")
        self.code_error, self.name_error, self.tcode_error = error_label(), error_label(), error_label()
        self.tname_error = error_label()
        self.code_label = QLabel(_("Village code (12 digits)"))
        self.name_label = QLabel(_("Village name"))
        form.addRow(self.code_label, self._with(self.code, self.code_error))
        form.addRow(self.name_label, self._with(self.name, self.name_error))
        self.tcode_label = QLabel(_("Township code"))
        self.tname_label = QLabel(_("Township name"))
        form.addRow(self.tcode_label, self._with(self.township_code, self.tcode_error))
        form.addRow(self.tname_label, self._with(self.township_name, self.tname_error))
        for field, error in self._fields():
            field.textEdited.connect(lambda _t, f=field, e=error: mark_error(f, None, e) if e.isVisible() else None)
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

    def _fields(self) -> tuple:
        return (
            (self.code, self.code_error),
            (self.name, self.name_error),
            (self.township_code, self.tcode_error),
            (self.township_name, self.tname_error),
        )

    def _required_problems(self, village: bool) -> dict[str, list[str]]:
        """Empty fields, named as the wizard names them (the township's for a village too)."""
        labels = {"code": self.code_label.text(), "name": self.name_label.text()}
        if village:
            labels.update(township_code=self.tcode_label.text(), township_name=self.tname_label.text())
        values = {
            "code": self.code.text(),
            "name": self.name.text(),
            "township_code": self.township_code.text(),
            "township_name": self.township_name.text(),
        }
        problems = {}
        for key, label in labels.items():
            value = values[key].strip()
            if not value:
                problems[key] = [_("{field} is required.").format(field=label)]
            elif key.endswith("code") and village_code_problems(value):
                problems[key] = [self._code_message(label)]
        return problems

    @staticmethod
    def _code_message(label: str) -> str:
        return _("{field}: enter the 12-digit statistical area code.").format(field=label)

    def show_problems(self, by_field: dict[str, list[str]]) -> None:
        keys = ("code", "name", "township_code", "township_name")
        for key, (field, error) in zip(keys, self._fields()):
            mark_error(field, by_field.get(key), error)
        rest = [m for k, msgs in by_field.items() if k not in keys for m in msgs]
        self.banner.setText("\n".join(rest))
        self.banner.setVisible(bool(rest))
        first = next((f for k, (f, _e) in zip(keys, self._fields()) if k in by_field), None)
        if first is not None:
            first.setFocus()

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
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Demo file"), self.demo_path.text(), _("Database (*.sqlite3)")
        )
        if path:
            self.demo_path.setText(path)

    def finish(self) -> bool:
        self.banner.setVisible(False)
        try:
            if self.demo_radio.isChecked():
                path = Path(self.demo_path.text().strip())
                database = open_database(path)
                demo_ctx = Context(conn=database, user=self.ctx.user, role=self.ctx.role, clock=self.ctx.clock)
                if site.site(database) is None:
                    demo.generate(demo_ctx, year=self.ctx.today().year, villages=5, seed=1)
                database.close()
                self.db_path = path
            else:
                role = site.VILLAGE if self.village_radio.isChecked() else site.TOWNSHIP
                missing = self._required_problems(role == site.VILLAGE)
                if missing:
                    self.show_problems(missing)
                    return False
                site.init_site(
                    self.ctx,
                    role=role,
                    code=self.code.text().strip(),
                    name=self.name.text(),
                    township_code=self.township_code.text().strip() if role == site.VILLAGE else "",
                    township_name=self.township_name.text() if role == site.VILLAGE else "",
                )
        except Refused as exc:
            by_field = exc.by_field()
            for key, label in (("code", self.code_label), ("township_code", self.tcode_label)):
                if key in by_field:  # the service says "village code" for both: name the field shown
                    by_field[key] = [self._code_message(label.text())]
            self.show_problems(by_field)
            return False
        self.accept()
        return True
