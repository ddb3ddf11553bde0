"""U 盘同步 pages: export a bundle to a USB stick (village), import bundles and spreadsheets with
a preview, a progress bar and the conflict screen (township), and the township's reporting
overview. Long work (preview, apply) runs on the thread pool with its own database connection;
widgets only call the sync services."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain.fields import BOOL, REGISTER_LABELS
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import user_message
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import people, site
from dudu_desktop.services.context import Context
from dudu_desktop.sync import export as sync_export
from dudu_desktop.sync import keys, merge, overview, tables
from dudu_desktop.sync.drives import removable_drives
from dudu_desktop.ui import workers
from dudu_desktop.ui.tables import fill, item, read_only_table
from dudu_desktop.ui.wording import in_window_words

GREEN, AMBER, RED_BG, GREY = "#d9f2d9", "#fff2cc", "#f8d7da", "#eeeeee"


def table_label(table: str) -> str:
    spec = merge.SPECS.get(table)
    return _(spec.label) if spec else table


COMMON_LABELS = {
    "id": N_("Record id"),
    "village_code": N_("Village code"),
    "created_at": N_("Created at"),
    "updated_at": N_("Changed at"),
    "created_by": N_("Created by"),
    "updated_by": N_("Changed by"),
    "version": N_("Version"),
    "deleted": N_("Deleted"),
    "serial_no": N_("Serial number"),
    "party_names": N_("Parties"),
    "level_reason": N_("Reason for the warning level"),
}


def column_label(table: str, column: str) -> str:
    spec = merge.SPECS.get(table)
    try:
        return _(spec[column].label) if spec else column
    except KeyError:
        return _(COMMON_LABELS[column]) if column in COMMON_LABELS else column


def display_value(table: str, column: str, value):
    """A stored value as a person reads it: yes/no for the tick boxes, else as stored."""
    spec = merge.SPECS.get(table)
    try:
        kind = spec[column].kind if spec else None
    except KeyError:
        kind = None
    if (kind == BOOL or column == "deleted") and str(value) in ("0", "1", "True", "False"):
        return _("yes") if str(value) in ("1", "True") else _("no")
    return value


def _wrap_last_column(table: QTableWidget) -> None:
    """The last column (a reason, a note) fills the table's width and its long texts wrap onto more
    lines instead of running off the edge."""
    header = table.horizontalHeader()
    if table.columnCount():
        header.setSectionResizeMode(table.columnCount() - 1, QHeaderView.Stretch)
    table.setWordWrap(True)
    table.resizeRowsToContents()


def _refused_text(ctx: Context, exc: Refused) -> str:
    """A refusal as the window says it: its own words for what the command line calls options."""
    return in_window_words("\n".join(p.message for p in exc.problems), administrator=ctx.can(Permission.ADMINISTER))


def _db_path(ctx: Context, db_path) -> str:
    if db_path:
        return str(db_path)
    from dudu_desktop.services.backup import db_path_of

    return str(db_path_of(ctx.conn))


# --- export (village) ----------------------------------------------------------------------------------


class ExportPage(QWidget):
    exported = Signal(object)

    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        v = QVBoxLayout(self)
        title = QLabel(_("Export a bundle for the township"))
        title.setObjectName("pageTitle")
        v.addWidget(title)
        hint = QLabel(
            _(
                "Insert the USB stick, choose it below and press Export. The bundle holds every change "
                "since the last export; with nothing new it is still written (a zero report)."
            )
        )
        hint.setWordWrap(True)
        v.addWidget(hint)
        row = QHBoxLayout()
        self.target = QComboBox()
        self.target.setMinimumWidth(320)
        refresh = QPushButton(_("Find USB drives"))
        refresh.clicked.connect(self.find_drives)
        choose = QPushButton(_("Choose folder…"))
        choose.clicked.connect(self.choose_folder)
        row.addWidget(QLabel(_("Write to:")))
        row.addWidget(self.target, 1)
        row.addWidget(refresh)
        row.addWidget(choose)
        v.addLayout(row)
        row = QHBoxLayout()
        self.full = QCheckBox(_("Full export (every record, not just the changes)"))
        self.registration = QPushButton(_("Import registration file…"))
        self.registration.setToolTip(_("The file the township issued for this village (administrators)"))
        self.registration.clicked.connect(self.choose_registration)
        self.registration.setVisible(ctx.can(Permission.ADMINISTER))
        row.addWidget(self.registration)
        self.button = QPushButton(_("Export"))
        self.button.setObjectName("primary")
        self.button.clicked.connect(self.export)
        row.addWidget(self.full)
        row.addStretch(1)
        row.addWidget(self.button)
        v.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        v.addWidget(self.status)
        box = QGroupBox(_("Bundles exported"))
        b = QVBoxLayout(box)
        self.log = read_only_table()
        b.addWidget(self.log)
        v.addWidget(box, 1)
        self.find_drives()
        self.refresh()

    def find_drives(self, drives=None) -> None:
        current = self.target.currentData()
        self.target.clear()
        for path in removable_drives() if drives is None else drives:
            self.target.addItem(_("USB drive {path}").format(path=path), str(path))
        if current and self.target.findData(current) < 0:
            self.target.addItem(current, current)
        if self.target.count() == 0:
            self.status.setText(_("No USB drive found. Insert one and press “Find USB drives”, or choose a folder."))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Choose where to write the bundle"))
        if folder:
            self.set_target(folder)

    def set_target(self, folder) -> None:
        i = self.target.findData(str(folder))
        if i < 0:
            self.target.addItem(str(folder), str(folder))
            i = self.target.count() - 1
        self.target.setCurrentIndex(i)

    def choose_registration(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, _("Import registration file…"), "", _("Registration files (*.dudukey)")
        )
        if path:
            self.import_registration(path)

    def import_registration(self, path) -> None:
        try:
            reg = keys.import_registration(self.ctx, path)
        except Refused as exc:
            self.status.setText(_refused_text(self.ctx, exc))
            return
        self.status.setText(
            _(
                "Registration imported: bundles are now signed with key {key} and sealed for "
                "{township}. Delete the registration file from the stick."
            ).format(key=reg.village_key, township=reg.township_name)
        )

    def export(self):
        folder = self.target.currentData()
        if not folder:
            self.status.setText(_("Choose a USB drive or a folder first."))
            return None
        try:
            result = sync_export.export_bundle(self.ctx, folder, full=self.full.isChecked())
        except Refused as exc:
            self.status.setText(_refused_text(self.ctx, exc))
            return None
        self.status.setText(
            _("Bundle {seq} written: {path} ({rows} records changed). Take the stick to the township.").format(
                seq=result.seq, path=result.path, rows=result.rows
            )
        )
        self.refresh()
        self.exported.emit(result)
        return result

    def refresh(self) -> None:
        rows = [
            [e["seq"], e["at"], e["period"], _("full") if e["full"] else _("changes"), e["rows"], e["path"]]
            for e in sync_export.exports(self.ctx.conn)
        ]
        fill(self.log, rows, [_("No."), _("Exported at"), _("Month reported"), _("Kind"), _("Records"), _("File")])


# --- import (township: bundles; everyone: spreadsheets) -------------------------------------------------


class ImportPage(QWidget):
    applied = Signal()

    def __init__(self, ctx: Context, db_path=None, parent=None, *, threaded: bool = True):
        super().__init__(parent)
        self.ctx, self.db_path, self.threaded = ctx, _db_path(ctx, db_path), threaded
        self.files: list[tuple[str, str | None]] = []  # (path, register or None for a bundle)
        self.previews: dict[str, object] = {}
        self._preview_generation = 0  # the newest preview; older ones finishing late are ignored
        is_township = (site.site(ctx.conn) or {}).get("role") == site.TOWNSHIP
        v = QVBoxLayout(self)
        title = QLabel(_("Import bundles and spreadsheets"))
        title.setObjectName("pageTitle")
        v.addWidget(title)
        row = QHBoxLayout()
        self.add_bundles = QPushButton(_("Add village bundles…"))
        self.add_bundles.clicked.connect(self.choose_bundles)
        self.add_bundles.setEnabled(is_township)
        self.register = QComboBox()
        for key in tables.REGISTER_NAMES:
            self.register.addItem(_(REGISTER_LABELS[key]), key)
        add_sheet = QPushButton(_("Add spreadsheet…"))
        add_sheet.clicked.connect(self.choose_sheet)
        save_template = QPushButton(_("Save template…"))
        save_template.clicked.connect(self.save_template)
        clear = QPushButton(_("Clear"))
        clear.clicked.connect(self.clear)
        for w in (self.add_bundles, QLabel(_("Register:")), self.register, add_sheet, save_template):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(clear)
        v.addLayout(row)
        # Plain bundles are refused unless an administrator allows them on purpose (checked in the service).
        self.allow_unsealed = QCheckBox(_("Allow unsealed bundles (administrators only)"))
        self.allow_unsealed.setVisible(is_township and ctx.can(Permission.ADMINISTER))
        self.allow_unsealed.toggled.connect(lambda _on: self.preview() if self.files else None)
        v.addWidget(self.allow_unsealed)
        # why a file was refused, in full and wrapped (a table cell would cut it off); scrolls when long
        self.refusals = QLabel()
        self.refusals.setObjectName("refusals")
        self.refusals.setWordWrap(True)
        self.refusals.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.refusals.setStyleSheet(f"background: {RED_BG}; padding: 6px; border-radius: 3px;")
        self.refusals_area = QScrollArea()
        self.refusals_area.setWidget(self.refusals)
        self.refusals_area.setWidgetResizable(True)
        self.refusals_area.setFrameShape(QFrame.NoFrame)
        self.refusals_area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.refusals_area.setVisible(False)
        v.addWidget(self.refusals_area)
        splitter = QSplitter(Qt.Vertical)
        self.summary = read_only_table()
        self.problems = read_only_table()
        box1, box2 = QGroupBox(_("Preview (nothing has been written yet)")), QGroupBox(_("Problems"))
        QVBoxLayout(box1).addWidget(self.summary)
        QVBoxLayout(box2).addWidget(self.problems)
        splitter.addWidget(box1)
        splitter.addWidget(box2)
        v.addWidget(splitter, 1)
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.apply_button = QPushButton(_("Apply"))
        self.apply_button.setObjectName("primary")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        row.addWidget(self.status, 1)
        row.addWidget(self.progress)
        row.addWidget(self.apply_button)
        v.addLayout(row)
        self.render()

    # choosing files
    def choose_bundles(self) -> None:
        paths, _f = QFileDialog.getOpenFileNames(self, _("Choose village bundles"), "", _("Bundles (*.dudu *.zip)"))
        self.add_files(paths)

    def choose_sheet(self) -> None:
        path, _f = QFileDialog.getOpenFileName(self, _("Choose a spreadsheet"), "", _("Spreadsheets (*.xlsx *.csv)"))
        if path:
            self.add_files([path], register=self.register.currentData())

    def save_template(self) -> None:
        register = self.register.currentData()
        path, _f = QFileDialog.getSaveFileName(
            self, _("Save template"), f"{register}.xlsx", _("Spreadsheets (*.xlsx *.csv)")
        )
        if path:
            try:
                tables.template(register, path)
            except (Refused, OSError) as exc:  # a full or write-protected stick: in words
                QMessageBox.warning(self, _("Save template"), user_message(exc))
                return
            self.status.setText(_("Template saved: {path}").format(path=path))

    def clear(self) -> None:
        self.files.clear()
        self.previews.clear()
        self.progress.setValue(0)
        self.status.clear()
        self.render()

    def add_files(self, paths, register: str | None = None) -> None:
        for p in paths:
            if all(f[0] != str(p) for f in self.files):
                self.files.append((str(p), register))
        self.preview()

    # work
    def _start(self, fn, on_done) -> workers.Job:
        """``fn(ctx, progress)`` with the session on a connection of its own (ui.workers)."""
        job = workers.Job(lambda job: fn(job.ctx, job.progress), db_path=self.db_path, ctx=self.ctx)
        job.connect(self, progress=self._progress, done=on_done, failed=self._failed)
        self.apply_button.setEnabled(False)
        return workers.start(job, threaded=self.threaded)

    def preview(self) -> None:
        files = list(self.files)
        unsealed = self.allow_unsealed.isChecked()
        self.status.setText(_("Checking…"))
        self._preview_generation += 1
        generation = self._preview_generation

        def work(ctx, progress):
            out = {}
            for i, (path, register) in enumerate(files):
                try:
                    out[path] = (
                        merge.preview_bundle(ctx, path, allow_unsealed=unsealed)
                        if register is None
                        else tables.import_table(ctx, register, path, dry_run=True)
                    )
                except Refused as exc:
                    out[path] = "\n".join(p.message for p in exc.problems)
                progress(i + 1, len(files))
            return out

        # Only the newest preview counts: files added quickly start several, which may finish in any order.
        self._start(work, lambda previews: self._previewed(previews, generation))

    def _previewed(self, previews: dict, generation: int | None = None) -> None:
        if generation is not None and generation != self._preview_generation:
            return
        self.previews = previews
        self.progress.setValue(0)
        self.render()
        ready = [p for p in previews.values() if not isinstance(p, str)]
        self.status.setText(
            _("Checked {n} files. Press Apply to write them.").format(n=len(previews))
            if ready
            else _("Nothing to apply.")
        )
        self.apply_button.setEnabled(bool(ready))

    def apply(self) -> None:
        files = [(p, r) for p, r in self.files if not isinstance(self.previews.get(p), str)]
        unsealed = self.allow_unsealed.isChecked()
        self.status.setText(_("Applying… (a backup is made first)"))

        def work(ctx, progress):
            out = {}
            for i, (path, register) in enumerate(files):

                def step(done, total, i=i):
                    progress(i * 1000 + int(1000 * done / max(total, 1)), len(files) * 1000)

                try:
                    out[path] = (
                        merge.apply_bundle(ctx, path, progress=step, allow_unsealed=unsealed)
                        if register is None
                        else tables.import_table(ctx, register, path, progress=step)
                    )
                except Refused as exc:
                    out[path] = "\n".join(p.message for p in exc.problems)
                step(1, 1)
            return out

        self._start(work, self._applied)

    def _applied(self, results: dict) -> None:
        self.previews = results
        self.render(applied=True)
        self.progress.setValue(100)
        self.status.setText(_("Done. {n} files applied.").format(n=len(results)))
        self.apply_button.setEnabled(False)
        self.applied.emit()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(100 * done / max(total, 1)))

    def _failed(self, message: str) -> None:
        self.status.setText(in_window_words(message, administrator=self.ctx.can(Permission.ADMINISTER)))
        self.progress.setValue(0)

    def render(self, applied: bool = False) -> None:
        rows, problems, refusals = [], [], []
        for path, register in self.files:
            name = Path(path).name
            r = self.previews.get(path)
            if r is None:
                rows.append([name, "", "", "", "", "", "", "", ""])
            elif isinstance(r, str):
                reason = in_window_words(r, administrator=self.ctx.can(Permission.ADMINISTER))
                refusals.append(
                    reason if name in reason else _("{file} was refused: {reason}").format(file=name, reason=reason)
                )
                note = item(reason, bg=RED_BG)
                note.setToolTip(reason)
                rows.append([item(name, bg=RED_BG), item(_("Refused"), bg=RED_BG), "", "", "", "", "", "", note])
            elif register is None:
                t = r.totals
                what = _("{village}, bundle {seq}, {period}").format(village=r.village_name, seq=r.seq, period=r.period)
                rows.append(
                    [
                        name,
                        what,
                        t["new"],
                        t["updated"],
                        t["unchanged"],
                        item(t["conflicting"], bg=AMBER if t["conflicting"] else None),
                        item(t["invalid"], bg=RED_BG if t["invalid"] else None),
                        "",
                        "；".join(r.notes),
                    ]
                )
                problems += [
                    [name, table_label(p.table), p.row, column_label(p.table, p.column), p.message] for p in r.problems
                ]
                problems += [
                    [
                        name,
                        table_label(b["table"]),
                        "",
                        "",
                        item(
                            _(  # what the village's restore rolled back
                                "Rolled back by the village's restore: {record} "
                                "(version here {before} → in the village {after})"
                            ).format(
                                record=b["number"] or b["id"][:8],
                                before=b["before"],
                                after=_("missing") if b["after"] is None else b["after"],
                            ),
                            bg=AMBER,
                        ),
                    ]
                    for b in r.rolled_back
                ]
            else:
                rows.append(
                    [
                        name,
                        _(REGISTER_LABELS[register]),
                        r.imported,
                        "",
                        r.duplicates,
                        "",
                        item(r.skipped, bg=RED_BG if r.skipped else None),
                        r.encoding or r.sheet or "",
                        "；".join(r.notes[:3]),
                    ]
                )
                problems += [[name, _(REGISTER_LABELS[register]), p.row, p.column, p.message] for p in r.problems]
        fill(
            self.summary,
            rows,
            [
                _("File"),
                _("Contents"),
                _("New"),
                _("Updated"),
                _("Unchanged / already there"),
                _("Conflicts"),
                _("Invalid / skipped"),
                _("Encoding / sheet"),
                _("Notes"),
            ],
        )
        fill(self.problems, problems, [_("File"), _("Table"), _("Row"), _("Column"), _("Problem")])
        _wrap_last_column(self.problems)
        if self.summary.columnCount():  # one line a file: the notes fill the width, the whole in the tip
            self.summary.horizontalHeader().setSectionResizeMode(self.summary.columnCount() - 1, QHeaderView.Stretch)
        self.refusals.setText("\n\n".join(refusals))
        self.refusals_area.setVisible(bool(refusals))
        self._fit_refusals()

    def _fit_refusals(self) -> None:
        """As tall as the reasons (wrapped to the page's width), at most 150 px: then it scrolls."""
        width = self.refusals_area.width() or self.width()
        self.refusals_area.setFixedHeight(min(150, self.refusals.heightForWidth(width) + 2))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.refusals_area.isVisible():
            self._fit_refusals()


# --- conflicts -----------------------------------------------------------------------------------------


class ConflictPage(QWidget):
    resolved = Signal()

    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[dict] = []
        v = QVBoxLayout(self)
        title = QLabel(_("Conflicts: records changed both here and in the village"))
        title.setObjectName("pageTitle")
        title.setWordWrap(True)
        v.addWidget(title)
        splitter = QSplitter(Qt.Horizontal)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self.show_conflict)
        self.fields = read_only_table()
        # a long value (an answer, a summary) wraps onto more lines, rows as tall as their text, as the
        # splitter or window is resized too
        self.fields.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.fields.setTextElideMode(Qt.ElideNone)
        splitter.addWidget(self.list)
        splitter.addWidget(self.fields)
        splitter.setSizes([260, 700])
        v.addWidget(splitter, 1)
        row = QHBoxLayout()
        self.info = QLabel()
        self.keep_local = QPushButton(_("Keep the township's copy"))
        self.keep_incoming = QPushButton(_("Keep the village's copy"))
        self.keep_local.clicked.connect(lambda: self.resolve("local"))
        self.keep_incoming.clicked.connect(lambda: self.resolve("incoming"))
        row.addWidget(self.info, 1)
        row.addWidget(self.keep_local)
        row.addWidget(self.keep_incoming)
        v.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self.items = merge.conflicts(self.ctx.conn)
        self.list.clear()
        for c in self.items:
            title = (
                c["local_row"].get("party_names")
                or c["local_row"].get("topic")
                or c["local_row"].get("theme")
                or c["local_row"].get("question")
                or c["local_row"].get("name")
                or c["record_id"][:8]
            )
            self.list.addItem(
                _("{table}: {title} ({village})").format(
                    table=table_label(c["table_name"]),
                    title=str(title)[:30],
                    village=site.village_name(self.ctx.conn, c["village_code"]),
                )
            )
        has = bool(self.items)
        self.keep_local.setEnabled(has)
        self.keep_incoming.setEnabled(has)
        if has:
            self.list.setCurrentRow(0)
        else:
            fill(self.fields, [], [_("Field"), _("Township's copy"), _("Village's copy")])
            self.info.setText(_("No conflicts are waiting."))

    def show_conflict(self, row: int) -> None:
        if not 0 <= row < len(self.items):
            return
        c = self.items[row]
        rows = []
        bookkeeping = (*merge.META_COLUMNS, "id", "village_code", "deleted")
        fields = sorted(merge.conflict_fields(c), key=lambda f: (not f[3], f[0] in bookkeeping))
        village = site.village_name(self.ctx.conn, c["village_code"])
        for key, local, incoming, differs in fields:
            bg = AMBER if differs else None
            if key in ("created_by", "updated_by"):  # 修改人: people's names, not log-in names
                local, incoming = self.person(local), self.person(incoming, village)
            rows.append(
                [
                    item(column_label(c["table_name"], key), bg=bg),
                    item(display_value(c["table_name"], key, local), bg=bg),
                    item(display_value(c["table_name"], key, incoming), bg=bg),
                ]
            )
        fill(self.fields, rows, [_("Field"), _("Township's copy"), _("Village's copy")])
        header = self.fields.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)  # the field names; the copies share the rest
        self.info.setText(
            _("Found {at} in bundle {seq}. Highlighted fields differ.").format(at=c["detected_at"], seq=c["bundle_seq"])
        )

    def person(self, username, village: str | None = None) -> str:
        """A township account by its display name (张文书). A village's accounts are not known here
        (bundles carry records, not accounts; a township account of the same log-in name is somebody
        else): its log-in name and the village it comes from."""
        if not username:
            return ""
        if village:
            return _("{user} ({village})").format(user=username, village=village)
        return people.display_name(self.ctx.conn, username)

    def resolve(self, keep: str) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.items):
            return
        try:
            merge.resolve_conflict(self.ctx, self.items[row]["id"], keep)
        except (Refused, sqlite3.Error) as exc:  # a locked or read-only database: in words
            QMessageBox.warning(self, _("Conflicts"), user_message(exc))
        self.refresh()
        self.resolved.emit()


# --- township overview --------------------------------------------------------------------------------


class OverviewPage(QWidget):
    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        title = QLabel(_("Who has reported"))
        title.setObjectName("pageTitle")
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(ctx.today().year)
        self.year.valueChanged.connect(self.refresh)
        row.addWidget(title)
        row.addStretch(1)
        row.addWidget(QLabel(_("Year:")))
        row.addWidget(self.year)
        v.addLayout(row)
        legend = QLabel(
            _(
                "✓ reported (number of disputes registered that month)   零上报 reported, no disputes   "
                "blank: no bundle for that month yet"
            )
        )
        legend.setWordWrap(True)
        v.addWidget(legend)
        self.matrix = read_only_table()
        self.matrix.horizontalHeader().setStretchLastSection(False)
        v.addWidget(self.matrix, 1)
        self.refresh()

    def refresh(self) -> None:
        year = self.year.value()
        data = overview.reporting_matrix(self.ctx.conn, year)
        headers = (
            [_("Village")]
            + [_("{m} mo.").format(m=m) for m in range(1, 13)]
            + [_("Last bundle"), _("Missing bundles"), _("Conflicts")]
        )
        rows = []
        center = Qt.AlignCenter
        for r in data:
            cells = [r.name]
            for m in range(1, 13):
                cell = r.months[f"{year:04d}-{m:02d}"]
                if cell.zero_report:
                    cells.append(item("零上报", bg=GREEN, align=center))
                elif cell.reported:
                    cells.append(item(f"✓ {cell.disputes}", bg=GREEN, align=center))
                else:
                    cells.append(item("", bg=GREY if m <= 12 else None))
            last = r.last_bundle
            cells.append(_("No. {seq}, {period}, imported {at}").format(**last) if last else _("none yet"))
            cells.append(item("、".join(map(str, r.gaps)), bg=RED_BG if r.gaps else None))
            cells.append(item(r.conflicts or "", bg=AMBER if r.conflicts else None, align=center))
            rows.append(cells)
        fill(self.matrix, rows, headers)


class SyncPage(QTabWidget):
    """U 盘同步: the tabs that fit this PC's role."""

    changed = Signal()

    def __init__(self, ctx: Context, db_path=None, parent=None, *, threaded: bool = True):
        super().__init__(parent)
        role = (site.site(ctx.conn) or {}).get("role")
        self.export_page = self.overview_page = self.conflict_page = None
        if role != site.TOWNSHIP:
            self.export_page = ExportPage(ctx)
            self.export_page.exported.connect(lambda _r: self.changed.emit())
            self.addTab(self.export_page, _("Export to USB"))
        self.import_page = ImportPage(ctx, db_path, threaded=threaded)
        self.addTab(self.import_page, _("Import"))
        if role == site.TOWNSHIP:
            self.conflict_page = ConflictPage(ctx)
            self.overview_page = OverviewPage(ctx)
            self.addTab(self.conflict_page, _("Conflicts"))
            self.addTab(self.overview_page, _("Reporting overview"))
            self.conflict_page.resolved.connect(self._conflict_resolved)
        self.import_page.applied.connect(self.refresh)
        self.import_page.applied.connect(self.changed.emit)
        self.currentChanged.connect(self._tab_shown)

    def refresh(self) -> None:
        for page in (self.export_page, self.conflict_page, self.overview_page):
            if page is not None:
                page.refresh()

    def _conflict_resolved(self) -> None:
        # the overview counts the conflicts waiting per village: it changes with each one resolved
        if self.overview_page is not None:
            self.overview_page.refresh()
        self.changed.emit()

    def _tab_shown(self, _index: int) -> None:
        page = self.currentWidget()
        if page is not None and page in (self.conflict_page, self.overview_page):
            page.refresh()
