"""Spreadsheets in: a template per register (.xlsx or .csv) and an importer for filled templates
and existing ledgers (.xlsx; CSV in UTF-8 with or without BOM, GBK/GB18030).

* The header row is found by its Chinese names (title rows above it are skipped); columns may be
  in any order and extra columns are ignored. ``*`` marks required columns in the template.
* Dates may be written 2024-05-01, 2024/5/1, 2024年5月1日, 20240501 (:func:`domain.dates.parse_date`). A bare
  number is a date only in a NUMERIC .xlsx cell (an Excel serial such as 45413, or a date cell); in text or
  CSV "2024" or "45413" is a problem of its row. Dates outside 1949-01-01 … 31 December of next year, and
  numbers beyond their field's bound (counts 10,000,000, amounts 999,999,999,999.99 yuan), are problems of
  their row too — the domain rules every path shares (``domain.validate``).
* A CSV whose quotes do not pair up, or an .xlsx that would unpack to more than 200 MB (a zip bomb), is
  refused as a whole with the row named; nothing is imported (``sheets.read_table``).
* Every row is checked with the same domain rules as the service a cadre uses (``create_dispute`` …:
  ``clean_record`` and the whole-record rules, the same defaults, serial numbers and derived rows);
  a row with problems is skipped and reported (row number as Excel shows it, column header, message)
  and the others are imported. ``dry_run`` does the same work and rolls it back.
* **In bulk, like a bundle** (issue 14): all the rows go in in ONE transaction, ``executemany`` per
  table and batch of :data:`IMPORT_BATCH` spreadsheet rows, with the search indexes and the
  follow-ups due maintained in bulk (:class:`storage.bulk.BulkLoad`). Each batch is ONE audit entry
  (``action = 'import_table'``) listing the records it created by table, whose row digests go into
  the audit trail's side table (``audit.seal_rows``) so ``check`` covers every imported record. A
  record is created in its final state in one write (version 1), e.g. a 已销号 row directly closed out.
* **No duplicates on a re-run**: each row has a natural key — a SHA-256 of the village, the
  register and the row's key fields (disputes: 登记日期, 当事人 (sorted), 纠纷类型, 纠纷简要情况;
  trainings: 日期, 主题, 类型; hotline: 日期 and time, 来电人, 问题摘要; publicity: 日期, 主题, 形式,
  地点) — stored in ``import_keys`` with the record created. A row whose key is known is reported
  as already imported and skipped, so importing the same file again changes nothing, while a
  corrected row (e.g. a fixed summary) comes in as a new record.
* The template's example row is recognised and skipped.
* 当事人 may hold several names separated by 、，, ; or spaces: the first is 申请人, the others
  被申请人. 参加人数/考试人数/合格人数 of a training without a roster become placeholder attendance
  rows "参加人员1…N" (signed in; the first 考试人数 took the exam, the first 合格人数 passed) so the
  statistics count them. 发放资料数 is recorded as material kind 其他 unless a 资料类型 column names one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dudu_desktop import sheets
from dudu_desktop.domain import vocab
from dudu_desktop.domain.dates import parse_date
from dudu_desktop.domain.fields import ATTENDANCE, DISPUTE, HOTLINE, PUBLICITY, TRAINING, RecordSpec
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.validate import clean_record, record_problems, status_change_problems
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.fileio import atomic_path
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, disputes, publicity, site, trainings
from dudu_desktop.services.context import Context
from dudu_desktop.storage.bulk import BulkLoad
from dudu_desktop.storage.db import transaction
from dudu_desktop.storage.ids import new_id

REGISTER_NAMES = ("disputes", "trainings", "hotline", "publicity")
#: Spreadsheet rows per audit entry (and per ``executemany``).
IMPORT_BATCH = 1000
#: From this many rows in a file, the insert triggers the bulk flag skips are dropped for the import's
#: transaction (``BulkLoad.suspend_insert_triggers``); a smaller file leaves the schema alone.
SUSPEND_TRIGGERS_AT = 5000
#: register → the tables its rows create (the main record first)
REGISTER_TABLES = {
    "disputes": ("disputes", "dispute_parties"),
    "trainings": ("trainings", "training_attendance"),
    "hotline": ("hotline_calls",),
    "publicity": ("publicity_events", "publicity_materials"),
}
MAX_PLACEHOLDERS = 500
PARTY_SPLIT = re.compile(r"[、，,;；/\s]+")
VILLAGE_HEADERS = ("村（社区）", "村(社区)", "村社区", "村名", "村代码", "村")


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the data key handed to the service (or a pseudo key handled here)
    kind: str = "text"  # text | date | datetime | int | money | choice
    required: bool = False
    choices: tuple = ()
    example: str = ""


COLUMNS: dict[str, tuple[Column, ...]] = {
    "disputes": (
        Column("登记日期", "registered_on", "date", True, example="2024-05-06"),
        Column("当事人", "parties", required=True, example="张三、李四"),
        Column("纠纷类型", "dispute_type", "choice", True, vocab.DISPUTE_TYPES, "邻里"),
        Column("纠纷简要情况", "summary", required=True, example="因房屋滴水问题发生争吵，双方要求调解。"),
        Column("来源", "source", "choice", True, vocab.DISPUTE_SOURCES, "主动排查"),
        Column("预警等级", "level", "choice", False, tuple(vocab.WarningLevel), "蓝"),
        Column("状态", "status", "choice", False, tuple(vocab.DisputeStatus), "已办结"),
        Column("调处结果", "result", "choice", False, tuple(vocab.DisputeResult), "调解成功"),
        Column("调解员", "mediator", example="王德明"),
        Column("办结日期", "concluded_on", "date", example="2024-05-10"),
        Column("调解方式", "method", "choice", False, vocab.MEDIATION_METHODS, "人民调解"),
        Column("协议金额", "amount", "money", example=""),
        Column("销号日期", "closed_out_on", "date", example=""),
        Column("备注", "notes", example=""),
    ),
    "trainings": (
        Column("日期", "held_on", "date", True, example="2024-05-06"),
        Column("主题", "topic", required=True, example="《民法典》婚姻家庭编学习"),
        Column("类型", "training_type", "choice", True, vocab.TRAINING_TYPES, "专题学习"),
        Column("主讲人", "speaker", example="乡司法所 彭所长"),
        Column("地点", "location", example="村便民服务中心会议室"),
        Column("参加人数", "attended", "int", example="25"),
        Column("考试人数", "exam_takers", "int", example="20"),
        Column("合格人数", "exam_passed", "int", example="19"),
        Column("时长（小时）", "duration_hours", "text", example="2"),
        Column("备注", "notes", example=""),
    ),
    "hotline": (
        Column("日期", "called_at", "datetime", True, example="2024-05-06 09:30"),
        Column("方式", "channel", "choice", True, vocab.HOTLINE_CHANNELS, "电话"),
        Column("来电人", "caller_name", example="张三（匿名可填“匿名”）"),
        Column("咨询类别", "category", "choice", True, vocab.HOTLINE_CATEGORIES, "劳动"),
        Column("问题摘要", "question", required=True, example="在外务工被拖欠工资怎么办？"),
        Column("答复情况", "answer", example="已告知维权途径及所需材料。"),
        Column("满意度", "satisfaction", "choice", False, vocab.SATISFACTION, "满意"),
        Column("联系方式", "caller_phone", example=""),
        Column("转办情况", "referral", "choice", False, tuple(r for r in vocab.REFERRALS if r), ""),
        Column("经办人", "handler", example=""),
    ),
    "publicity": (
        Column("日期", "held_on", "date", True, example="2024-05-06"),
        Column("主题", "theme", required=True, example="民法典进农家"),
        Column("形式", "form", "choice", True, vocab.PUBLICITY_FORMS, "赶集日咨询台"),
        Column("地点", "location", example="赶集场"),
        Column("受众人次", "audience", "int", example="120"),
        Column("发放资料数", "materials", "int", example="200"),
        Column("资料类型", "material_kind", "choice", False, tuple(vocab.MATERIAL_KINDS), "宣传册"),
        Column("组织者", "organizer", example=""),
        Column("备注", "notes", example=""),
    ),
}
KEY_FIELDS = {
    "disputes": ("registered_on", "parties", "dispute_type", "summary"),
    "trainings": ("held_on", "topic", "training_type"),
    "hotline": ("called_at", "caller_name", "question"),
    "publicity": ("held_on", "theme", "form", "location"),
}
TITLES = {
    "disputes": "矛盾纠纷排查调处台账",
    "trainings": "法治培训（学法）台账",
    "hotline": "法律服务热线（咨询）台账",
    "publicity": "法治宣传活动台账",
}


def _register(register: str) -> str:
    if register not in COLUMNS:
        raise Refused(
            _("Unknown register {name}: choose disputes, trainings, hotline or publicity.").format(name=register)
        )
    return register


def headers(register: str) -> list[str]:
    return [c.header for c in COLUMNS[_register(register)]]


# --- templates ---------------------------------------------------------------------------------------


def template(register: str, path) -> Path:
    """Write an import template (.xlsx with drop-down lists, or .csv with BOM) for ``register``."""
    cols = COLUMNS[_register(register)]
    path = Path(path)
    shown = [("*" if c.required else "") + c.header for c in cols]
    example = [c.example for c in cols]
    if path.suffix.lower() == ".csv":
        sheets.write_csv(path, shown, [example])
        return path
    if path.suffix.lower() != ".xlsx":
        raise Refused(_("The template must be a .xlsx or .csv file."))
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = TITLES[register][:31]
    note = (
        f"{TITLES[register]}（导入模板）：带 * 的列必填；日期可写 2024-05-01、2024/5/1 或 2024年5月1日；"
        "第 3 行是示例，导入时会自动跳过，可直接覆盖或删除；有下拉箭头的列请从列表中选择。"
    )
    ws.cell(1, 1, note).alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    ws.row_dimensions[1].height = 45
    for i, (text, col) in enumerate(zip(shown, cols), 1):
        cell = ws.cell(2, i, text)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ex = ws.cell(3, i, col.example or None)
        ex.font = Font(italic=True, color="808080")
        ex.number_format = "@"
        ex.data_type = "s"
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(40, sheets.display_width(col.example or text) + 4))
        if col.kind in ("text", "datetime") or col.key in ("caller_phone",):
            for r in range(4, 504):
                ws.cell(r, i).number_format = "@"
        if col.choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(col.choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="输入有误",
                error="请从下拉列表中选择",
            )
            dv.add(f"{letter}3:{letter}2000")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A3"
    info = wb.create_sheet("填写说明")
    info.append(["列名", "是否必填", "说明 / 可选值"])
    for col in cols:
        hint = (
            "、".join(col.choices)
            if col.choices
            else {
                "date": "日期，如 2024-05-01",
                "datetime": "日期和时间，如 2024-05-01 09:30",
                "int": "整数",
                "money": "金额（元），如 1409.50",
            }.get(col.kind, "文字")
        )
        if col.key == "parties":
            hint = "多个当事人用顿号、逗号或空格分开，第一个为申请人"
        info.append([col.header, "是" if col.required else "", hint])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["C"].width = 80
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


# --- importing ---------------------------------------------------------------------------------------


@dataclass
class CellIssue:
    row: int
    column: str
    message: str


@dataclass
class TableImportResult:
    register: str
    path: str
    dry_run: bool
    rows: int = 0
    imported: int = 0  # created (or, in a dry run, would be created)
    duplicates: int = 0  # already imported earlier (or repeated in the file)
    skipped: int = 0  # rows with problems
    problems: list = field(default_factory=list)  # [CellIssue]
    notes: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    encoding: str | None = None
    sheet: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _parse_date(text: str) -> str | None:
    d = parse_date(text)
    return d.isoformat() if d else None


def _parse_datetime(text: str) -> str | None:
    s = text.strip().replace("T", " ")
    m = re.fullmatch(r"(.+?)\s+(\d{1,2})[:：](\d{2})(?::\d{2}(?:\.\d+)?)?", s)
    if m:
        d = parse_date(m.group(1))
        if d is None:  # a date part that reads as blank (only invisible characters)
            raise ValueError(
                _("Cannot read the date {text} (write it as 2024-05-01, 2024/5/1 or 2024年5月1日)").format(text=s)
            )
        hour, minute = int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"时间不存在：{s}")
        return f"{d.isoformat()} {hour:02d}:{minute:02d}"
    d = parse_date(s)
    return f"{d.isoformat()} 00:00" if d else None


def _int(text: str) -> int | None:
    s = text.strip().replace(",", "")
    if not s:
        return None
    if re.fullmatch(r"\d+(\.0+)?", s):
        return int(float(s))
    raise ValueError(_("must be a whole number"))


def _choice(col: Column, text: str) -> str:
    if col.key == "level" and text and text[0] in "红黄蓝":
        return text[0]
    return text


def _row_key(village: str, register: str, data: dict) -> str:
    parts = []
    for k in KEY_FIELDS[register]:
        v = data.get(k)
        if k == "parties":
            v = sorted(p["name"] for p in v or [])
        parts.append(v if not isinstance(v, str) else re.sub(r"\s+", "", v))
    return hashlib.sha256(json.dumps([village, register, *parts], ensure_ascii=False).encode()).hexdigest()


class _DryRun(Exception):
    pass


def import_table(
    ctx: Context, register: str, path, *, dry_run: bool = False, progress: Callable[[int, int], None] | None = None
) -> TableImportResult:
    """Read a spreadsheet and create its records in bulk; rows with problems are skipped and reported.
    ``progress(done, total)`` is called after each batch of rows (for a progress bar)."""
    ctx.require(Permission.WRITE)
    cols = COLUMNS[_register(register)]
    path = Path(path)
    expected = [c.header for c in cols]
    try:
        table = sheets.read_table(
            path,
            expected_headers=expected + list(VILLAGE_HEADERS),
            date_headers=[c.header for c in cols if c.kind in ("date", "datetime")],
        )
    except sheets.TableReadError as exc:
        raise Refused(exc.message) from exc
    result = TableImportResult(
        register=register, path=str(path), dry_run=dry_run, encoding=table.encoding, sheet=table.sheet
    )
    index = {c.key: table.column(c.header) for c in cols}
    missing = [c.header for c in cols if c.required and index[c.key] is None]
    if missing:
        raise Refused(_("The file lacks the required columns: {columns}.").format(columns="、".join(missing)))
    village_col = next((table.column(h) for h in VILLAGE_HEADERS if table.column(h) is not None), None)
    cell_problems: dict[int, list[tuple[int, str]]] = {}  # row → (column, message)
    for p in table.problems:
        if p.column >= len(table.headers):
            result.notes.append(p.message)
        else:
            cell_problems.setdefault(p.row, []).append((p.column, p.message))
    example = [c.example for c in cols]
    info = site.require_site(ctx.conn)
    villages = {v["name"]: v["code"] for v in site.villages(ctx.conn)}
    seen: dict[str, int] = {}
    total = len(table.rows)
    conn = ctx.conn
    try:
        with transaction(conn):
            writer = _BulkWriter(ctx, register, path.name, total)
            for start in range(0, total, IMPORT_BATCH):
                # (row, issues or None for the template's example, data, village, key or "" with issues)
                chunk: list[tuple[sheets.Row, list[CellIssue] | None, dict, str, str]] = []
                for row in table.rows[start : start + IMPORT_BATCH]:
                    cells = {c.key: row.cells[i] if (i := index[c.key]) is not None else "" for c in cols}
                    if [cells[c.key] for c in cols] == example:
                        chunk.append((row, None, {}, "", ""))
                        continue
                    issues = [
                        CellIssue(row.number, table.headers[c], message)
                        for c, message in sorted(cell_problems.get(row.number, []), key=lambda x: x[0])
                    ]
                    data, found = _row_data(register, cols, cells, row.number)
                    issues += found
                    village = info["code"]
                    if village_col is not None and row.cells[village_col]:
                        given = row.cells[village_col].strip()
                        village = villages.get(given, given)
                        data["village_code"] = village
                    key = "" if issues else _row_key(village, register, data)
                    chunk.append((row, issues, data, village, key))
                known = _known_keys(conn, [c[4] for c in chunk if c[4]])
                for row, row_issues, data, village, key in chunk:
                    result.rows += 1
                    if row_issues is None:
                        result.rows -= 1
                        result.notes.append(
                            _("Row {row} is the template's example and was skipped.").format(row=row.number)
                        )
                        continue
                    if row_issues:
                        _skip(result, row_issues)
                        continue
                    if key in seen or key in known:
                        result.duplicates += 1
                        if key in seen:
                            result.notes.append(
                                _("Row {row} repeats row {first}; it was not imported twice.").format(
                                    row=row.number, first=seen[key]
                                )
                            )
                        continue
                    seen[key] = row.number
                    try:
                        record_id = writer.add(data, key, village, row.number)
                    except Refused as exc:
                        _skip(
                            result, [CellIssue(row.number, _header_of(cols, p.field), p.message) for p in exc.problems]
                        )
                        continue
                    result.imported += 1
                    result.ids.append(record_id)
                writer.flush()
                if progress:
                    progress(min(start + IMPORT_BATCH, total), total)
            writer.finish()
            if progress and not total:
                progress(0, 0)
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.ids = []
    return result


_ABSENT = object()


class _Cleaner:
    """``clean_record`` remembered field by field: its per-field rules depend only on the field, the
    value and the day, and a spreadsheet repeats the same types, statuses, dates and names thousands
    of times (as ``sync.merge`` does for bundles). Same values and problems, in the same order."""

    LIMIT = 20_000  # values remembered per field

    def __init__(self):
        self.plans: dict = {}

    def __call__(self, spec: RecordSpec, data: dict, *, today) -> tuple[dict, list[Problem]]:
        plan = self.plans.get((spec.name, today))
        if plan is None:
            plan = self.plans[(spec.name, today)] = [
                (f.key, {}, RecordSpec(spec.name, spec.label, (f,))) for f in spec.fields
            ]
        out: dict = {}
        problems: list[Problem] = []
        get = data.get
        for key, memo, one in plan:
            raw = get(key)
            k = raw if raw.__class__ is str else (raw.__class__, raw)  # 1 and True are not the same
            try:
                hit = memo.get(k)
            except TypeError:  # an unhashable value: no memory
                memo, hit = None, None
            if hit is None:
                values, found = clean_record(one, {key: raw}, today=today)
                hit = (values.get(key, _ABSENT), tuple(found))  # absent when it cannot be read
                if memo is not None:
                    if len(memo) > self.LIMIT:
                        memo.clear()
                    memo[k] = hit
            if hit[0] is not _ABSENT:
                out[key] = hit[0]
            if hit[1]:
                problems += hit[1]
        return out, problems


def _known_keys(conn, keys: list[str]) -> set[str]:
    """The row keys among ``keys`` imported before (one query per 500)."""
    known: set[str] = set()
    for i in range(0, len(keys), 500):
        part = keys[i : i + 500]
        marks = ", ".join("?" * len(part))
        known.update(k for (k,) in conn.execute(f"SELECT key FROM import_keys WHERE key IN ({marks})", part))
    return known


class _BulkWriter:
    """The rows of a batch, built with the services' own rules, written table by table with
    ``executemany`` under one audit entry per batch (see the module's docstring)."""

    def __init__(self, ctx: Context, register: str, file_name: str, total_rows: int = 0):
        self.ctx, self.register, self.file_name = ctx, register, file_name
        self.conn = ctx.conn
        self.now = ctx.now_text()
        self.today = ctx.today()
        self.bulk = BulkLoad(self.conn)  # search indexes and follow-ups due: in bulk
        self.large = total_rows >= SUSPEND_TRIGGERS_AT
        self.rows: dict[str, list[dict]] = {t: [] for t in REGISTER_TABLES[register]}
        self.keys: list[tuple] = []
        self.row_numbers: list[int] = []
        self.villages: dict[str | None, str | Refused] = {}
        self.serials: dict[tuple[str, str], int] = {}
        self.clean = _Cleaner()

    def _village(self, requested: str | None) -> str:
        if requested not in self.villages:
            try:
                self.villages[requested] = site.default_village_code(self.conn, requested)
            except Refused as exc:
                self.villages[requested] = exc
        got = self.villages[requested]
        if isinstance(got, Refused):
            raise got
        return got

    def _serial(self, village: str, year: str) -> str:
        """The next 登记编号 of the village and year, as ``disputes.create_dispute`` numbers them."""
        if (village, year) not in self.serials:
            first = disputes._next_serial(self.conn, village, year)  # noqa: SLF001 - the same numbering
            self.serials[(village, year)] = int(first.split("-")[1]) - 1
        self.serials[(village, year)] += 1
        return f"{year}-{self.serials[(village, year)]:03d}"

    def _record(self, table: str, values: dict, village: str) -> str:
        """As ``records.insert`` stores a row (the audit entry and ``change_seq`` come with the batch)."""
        record_id = values.get("id") or new_id()
        user = self.ctx.user
        self.rows[table].append(
            {
                **values,
                "id": record_id,
                "village_code": village,
                "created_at": self.now,
                "updated_at": self.now,
                "created_by": user,
                "updated_by": user,
                "version": 1,
                "deleted": 0,
            }
        )
        return record_id

    def add(self, data: dict, key: str, village_code: str, number: int) -> str:
        """Check one spreadsheet row with the domain rules and queue its records; raises Refused."""
        built = _BUILDERS[self.register](self, data)  # every check first: nothing is queued on a refusal
        record_id = built()
        self.keys.append((key, self.register, record_id, village_code, self.file_name, number, self.now))
        self.row_numbers.append(number)
        return record_id

    def flush(self) -> None:
        if not self.keys:
            return
        conn = self.conn
        tables = REGISTER_TABLES[self.register]
        main = tables[0]
        if self.large:  # every row is new: the bulk-guarded insert triggers are dropped for now
            self.bulk.suspend_insert_triggers(tables)
            self.large = False
        info = site.require_site(conn)
        seq = audit.append(
            conn,
            at=self.now,
            user=self.ctx.user,
            action="import_table",
            table_name=main,
            village_code=info["code"],
            changes={
                "file": self.file_name,
                "register": self.register,
                "rows": [self.row_numbers[0], self.row_numbers[-1]],
                "created": {t: [r["id"] for r in self.rows[t]] for t in tables if self.rows[t]},
            },
        )
        for table in tables:
            rows = self.rows[table]
            if not rows:
                continue
            self.bulk.before_write(table, (r["id"] for r in rows), new=True)
            groups: dict[tuple, list] = {}
            for r in rows:  # rows with the same columns in one statement (absent ones keep their default)
                groups.setdefault(tuple(r), []).append(r)
            for names, group in groups.items():
                cols = [*names, "change_seq"]
                conn.executemany(
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [(*r.values(), seq) for r in group],
                )
            audit.seal_rows(conn, seq, table)  # each row's digest (its change_seq is seq), for check
        conn.executemany(
            "INSERT INTO import_keys (key, register, record_id, village_code, file_name, row_number, "
            "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            self.keys,
        )
        self.rows = {t: [] for t in tables}
        self.keys, self.row_numbers = [], []

    def finish(self) -> None:
        self.flush()
        self.bulk.finish()


def _build_dispute(w: _BulkWriter, data: dict):
    """``_create`` + ``disputes.create_dispute`` (+ ``close_out``): the same defaults and rules."""
    d = {k: v for k, v in data.items() if k not in ("parties", "amount") and v not in (None, "")}
    status = d.get("status") or (vocab.DisputeStatus.CONCLUDED if d.get("result") else vocab.DisputeStatus.PENDING)
    closed_out = status == vocab.DisputeStatus.CLOSED_OUT
    d["status"] = vocab.DisputeStatus.CONCLUDED if closed_out else status
    if d.get("result") == vocab.DisputeResult.SUCCESS:
        d["agreement"] = 1
        if data.get("amount"):
            d["amount_cents"] = data["amount"]
    closed_on = d.pop("closed_out_on", None)
    d = {"status": vocab.DisputeStatus.PENDING, "level": vocab.WarningLevel.BLUE, **d}
    values, problems = w.clean(DISPUTE, d, today=w.today)
    party_rows, party_found = disputes.clean_parties(data["parties"], today=w.today, clean=w.clean)
    problems += party_found + record_problems(DISPUTE.name, values)
    if not problems and closed_out:  # then 销号, as close_out checks it
        problems = status_change_problems(values["status"], vocab.DisputeStatus.CLOSED_OUT)
        later, found = clean_record(
            DISPUTE,
            {
                "closed_out_on": closed_on or d.get("concluded_on") or w.today.isoformat(),
                "status": vocab.DisputeStatus.CLOSED_OUT,
            },
            today=w.today,
            partial=True,
        )
        values = {**values, **later}
        problems += found + record_problems(DISPUTE.name, values)
    if problems:
        raise Refused(problems)
    village = w._village(d.get("village_code"))

    def queue() -> str:
        values["serial_no"] = d.get("serial_no") or w._serial(village, values["registered_on"][:4])
        values["level_reason"] = (d.get("level_reason") or "").strip()
        values["party_names"] = disputes.party_names(party_rows)
        dispute_id = w._record("disputes", values, village)
        for position, party in enumerate(party_rows):
            w._record("dispute_parties", {**party, "dispute_id": dispute_id, "position": position}, village)
        return dispute_id

    return queue


def _build_training(w: _BulkWriter, data: dict):
    att, takers, passed = (data.get(k) or 0 for k in ("attended", "exam_takers", "exam_passed"))
    d = {k: v for k, v in data.items() if k not in ("attended", "exam_takers", "exam_passed") and v not in (None, "")}
    d["exam_held"] = 1 if takers else 0
    values, problems = w.clean(TRAINING, d, today=trainings._latest_date(w.ctx))  # noqa: SLF001
    if problems:
        raise Refused(problems)
    village = w._village(d.get("village_code"))
    roster = []
    for i in range(att):  # placeholders 参加人员1…N, as trainings._invite stores them
        person = {
            "name": f"参加人员{i + 1}",
            "signed_in": 1,
            "exam_passed": (1 if i < passed else 0) if i < takers else None,
        }
        values_a, found = w.clean(ATTENDANCE, {"signed_in": 0, **person}, today=w.today)
        found = found or record_problems(ATTENDANCE.name, values_a)
        if found:
            raise Refused([Problem(f"roster[{i}].{p.field}", p.message) for p in found])
        values_a["person_id"] = None
        values_a["exam_passed"] = trainings._exam_passed(w.ctx, values_a["exam_score"], person["exam_passed"])  # noqa: SLF001
        roster.append(values_a)

    def queue() -> str:
        training_id = w._record("trainings", values, village)
        for person in roster:
            w._record("training_attendance", {**person, "training_id": training_id}, village)
        return training_id

    return queue


def _build_call(w: _BulkWriter, data: dict):
    d = {k: v for k, v in data.items() if v not in (None, "")}
    name = (d.get("caller_name") or "").strip()
    if name in ("", "匿名", "不愿透露"):
        d["anonymous"] = 1
        d["caller_name"] = ""
    d = {"called_at": w.ctx.now().strftime("%Y-%m-%d %H:%M"), "channel": "电话", **d}
    values, problems = w.clean(HOTLINE, d, today=w.today)  # as hotline._clean
    if values.get("anonymous"):
        values["caller_name"] = ""
    problems += record_problems(HOTLINE.name, values)
    if problems:
        raise Refused(problems)
    village = w._village(d.get("village_code"))
    return lambda: w._record("hotline_calls", values, village)


def _build_event(w: _BulkWriter, data: dict):
    d = {k: v for k, v in data.items() if k not in ("materials", "material_kind") and v not in (None, "")}
    materials = (
        [{"kind": data.get("material_kind") or "其他", "quantity": data["materials"]}] if data.get("materials") else []
    )
    values, problems = w.clean(PUBLICITY, d, today=w.today)
    if problems:
        raise Refused(problems)
    material_rows = publicity._clean_materials(w.ctx, materials)  # noqa: SLF001
    village = w._village(d.get("village_code"))

    def queue() -> str:
        event_id = w._record("publicity_events", values, village)
        for item in material_rows:
            w._record("publicity_materials", {**item, "event_id": event_id}, village)
        return event_id

    return queue


_BUILDERS = {
    "disputes": _build_dispute,
    "trainings": _build_training,
    "hotline": _build_call,
    "publicity": _build_event,
}


def _skip(result: TableImportResult, issues: list[CellIssue]) -> None:
    result.skipped += 1
    result.problems += issues


def _header_of(cols, field_key: str) -> str:
    base = re.sub(r"\[\d+\].*$", "", field_key or "")
    aliases = {
        "parties": "parties",
        "roster": "attended",
        "materials": "materials",
        "anonymous": "caller_name",
        "amount_cents": "amount",
        "agreement": "result",
        "exam_held": "exam_takers",
    }
    key = aliases.get(base, base)
    return next((c.header for c in cols if c.key == key), "")


def _row_data(register: str, cols, cells: dict, number: int) -> tuple[dict, list[CellIssue]]:
    data: dict = {}
    issues: list[CellIssue] = []
    for c in cols:
        text = cells[c.key].strip()
        try:
            if c.kind == "date":
                data[c.key] = _parse_date(text)
            elif c.kind == "datetime":
                data[c.key] = _parse_datetime(text)
            elif c.kind == "int":
                data[c.key] = _int(text)
            elif c.kind == "choice":
                data[c.key] = _choice(c, text)
            else:
                data[c.key] = text
        except ValueError as exc:
            issues.append(CellIssue(number, c.header, str(exc)))
            continue
        if c.required and data[c.key] in (None, ""):
            issues.append(CellIssue(number, c.header, _("{field} is required.").format(field=c.header)))
    if register == "disputes" and data.get("parties") is not None:
        names = [n for n in PARTY_SPLIT.split(data["parties"]) if n]
        data["parties"] = [{"name": n, "role": "申请人" if i == 0 else "被申请人"} for i, n in enumerate(names)]
        for n in names:
            if len(n) > 50:
                issues.append(CellIssue(number, "当事人", _("The name “{name}” is too long.").format(name=n[:20])))
    if register == "trainings":
        att, takers, passed = (data.get(k) or 0 for k in ("attended", "exam_takers", "exam_passed"))
        if att > MAX_PLACEHOLDERS:
            issues.append(
                CellIssue(number, "参加人数", _("At most {n} people per session.").format(n=MAX_PLACEHOLDERS))
            )
        if takers > att:
            issues.append(CellIssue(number, "考试人数", _("More exam takers than people attending.")))
        if passed > takers:
            issues.append(CellIssue(number, "合格人数", _("More people passed than took the exam.")))
    return data, issues


def problems_as_refusal(result: TableImportResult) -> list[Problem]:
    return [
        Problem(
            p.column, _("Row {row}, column {column}: {message}").format(row=p.row, column=p.column, message=p.message)
        )
        for p in result.problems
    ]
