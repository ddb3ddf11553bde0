"""Spreadsheets in: a template per register (.xlsx or .csv) and an importer for filled templates
and existing ledgers (.xlsx; CSV in UTF-8 with or without BOM, GBK/GB18030).

* The header row is found by its Chinese names (title rows above it are skipped); columns may be
  in any order and extra columns are ignored. ``*`` marks required columns in the template.
* Dates may be written 2024-05-01, 2024/5/1, 2024年5月1日, 20240501 (:func:`tabular.parse_date`). A bare
  number is a date only in a NUMERIC .xlsx cell (an Excel serial such as 45413, or a date cell); in text or
  CSV "2024" or "45413" is a problem of its row. Dates outside 1949-01-01 … 31 December of next year, and
  numbers beyond their field's bound (counts 10,000,000, amounts 999,999,999,999.99 yuan), are problems of
  their row too — the domain rules every path shares (``domain.validate``).
* A CSV whose quotes do not pair up, or an .xlsx that would unpack to more than 200 MB (a zip bomb), is
  refused as a whole with the row named; nothing is imported (``tabular.read_table``).
* Every row goes through the same service a cadre uses (``create_dispute`` …), all in one
  transaction; a row with problems is skipped and reported (row number as Excel shows it, column
  header, message) and the others are imported. ``dry_run`` does the same work and rolls it back.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dudu_desktop import tabular
from dudu_desktop.domain import vocab
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import disputes, hotline, publicity, site, trainings
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction

REGISTER_NAMES = ("disputes", "trainings", "hotline", "publicity")
MAX_PLACEHOLDERS = 500
PARTY_SPLIT = re.compile(r"[、，,;；/\s]+")
VILLAGE_HEADERS = ("村（社区）", "村(社区)", "村社区", "村名", "村代码", "村")


@dataclass(frozen=True)
class Column:
    header: str
    key: str            # the data key handed to the service (or a pseudo key handled here)
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
KEY_FIELDS = {"disputes": ("registered_on", "parties", "dispute_type", "summary"),
              "trainings": ("held_on", "topic", "training_type"),
              "hotline": ("called_at", "caller_name", "question"),
              "publicity": ("held_on", "theme", "form", "location")}
TITLES = {"disputes": "矛盾纠纷排查调处台账", "trainings": "法治培训（学法）台账", "hotline": "法律服务热线（咨询）台账",
          "publicity": "法治宣传活动台账"}


def _register(register: str) -> str:
    if register not in COLUMNS:
        raise Refused(_("Unknown register {name}: choose disputes, trainings, hotline or publicity.").format(
            name=register))
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
        tabular.write_csv(path, shown, [example])
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
    note = (f"{TITLES[register]}（导入模板）：带 * 的列必填；日期可写 2024-05-01、2024/5/1 或 2024年5月1日；"
            "第 3 行是示例，导入时会自动跳过，可直接覆盖或删除；有下拉箭头的列请从列表中选择。")
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
        ws.column_dimensions[letter].width = max(10, min(40, tabular._display_width(col.example or text) + 4))
        if col.kind in ("text", "datetime") or col.key in ("caller_phone",):
            for r in range(4, 504):
                ws.cell(r, i).number_format = "@"
        if col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="输入有误", error="请从下拉列表中选择")
            dv.add(f"{letter}3:{letter}2000")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A3"
    info = wb.create_sheet("填写说明")
    info.append(["列名", "是否必填", "说明 / 可选值"])
    for col in cols:
        hint = "、".join(col.choices) if col.choices else {
            "date": "日期，如 2024-05-01", "datetime": "日期和时间，如 2024-05-01 09:30", "int": "整数",
            "money": "金额（元），如 1409.50"}.get(col.kind, "文字")
        if col.key == "parties":
            hint = "多个当事人用顿号、逗号或空格分开，第一个为申请人"
        info.append([col.header, "是" if col.required else "", hint])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["C"].width = 80
    with tabular.atomic_path(path) as tmp:
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
    imported: int = 0                 # created (or, in a dry run, would be created)
    duplicates: int = 0               # already imported earlier (or repeated in the file)
    skipped: int = 0                  # rows with problems
    problems: list = field(default_factory=list)      # [CellIssue]
    notes: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    encoding: str | None = None
    sheet: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _parse_date(text: str) -> str | None:
    d = tabular.parse_date(text)
    return d.isoformat() if d else None


def _parse_datetime(text: str) -> str | None:
    s = text.strip().replace("T", " ")
    m = re.fullmatch(r"(.+?)\s+(\d{1,2})[:：](\d{2})(?::\d{2}(?:\.\d+)?)?", s)
    if m:
        d = tabular.parse_date(m.group(1))
        hour, minute = int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"时间不存在：{s}")
        return f"{d.isoformat()} {hour:02d}:{minute:02d}"
    d = tabular.parse_date(s)
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


def import_table(ctx: Context, register: str, path, *, dry_run: bool = False) -> TableImportResult:
    """Read a spreadsheet and create its records; rows with problems are skipped and reported."""
    ctx.require(Permission.WRITE)
    cols = COLUMNS[_register(register)]
    path = Path(path)
    expected = [c.header for c in cols]
    try:
        table = tabular.read_table(path, expected_headers=expected + list(VILLAGE_HEADERS),
                                   date_headers=[c.header for c in cols if c.kind in ("date", "datetime")])
    except tabular.TableReadError as exc:
        raise Refused(exc.message) from exc
    result = TableImportResult(register=register, path=str(path), dry_run=dry_run, encoding=table.encoding,
                               sheet=table.sheet)
    index = {c.key: table.column(c.header) for c in cols}
    missing = [c.header for c in cols if c.required and index[c.key] is None]
    if missing:
        raise Refused(_("The file lacks the required columns: {columns}.").format(columns="、".join(missing)))
    village_col = next((table.column(h) for h in VILLAGE_HEADERS if table.column(h) is not None), None)
    bad_cells = {(p.row, p.column) for p in table.problems if p.column < len(table.headers)}
    for p in table.problems:
        if p.column >= len(table.headers):
            result.notes.append(p.message)
    example = [c.example for c in cols]
    info = site.require_site(ctx.conn)
    villages = {v["name"]: v["code"] for v in site.villages(ctx.conn)}
    seen: dict[str, int] = {}
    try:
        with transaction(ctx.conn):
            for row in table.rows:
                result.rows += 1
                cells = {c.key: row.cells[index[c.key]] if index[c.key] is not None else "" for c in cols}
                if [cells[c.key] for c in cols] == example:
                    result.rows -= 1
                    result.notes.append(_("Row {row} is the template's example and was skipped.").format(row=row.number))
                    continue
                issues = [CellIssue(row.number, table.headers[c], next(
                    p.message for p in table.problems if (p.row, p.column) == (row.number, c)))
                    for (r, c) in sorted(bad_cells) if r == row.number]
                data, found = _row_data(register, cols, cells, row.number)
                issues += found
                village = info["code"]
                if village_col is not None and row.cells[village_col]:
                    given = row.cells[village_col].strip()
                    village = villages.get(given, given)
                    data["village_code"] = village
                if issues:
                    _skip(result, issues)
                    continue
                key = _row_key(village, register, data)
                if key in seen or ctx.conn.execute("SELECT 1 FROM import_keys WHERE key = ?", (key,)).fetchone():
                    result.duplicates += 1
                    if key in seen:
                        result.notes.append(_("Row {row} repeats row {first}; it was not imported twice.").format(
                            row=row.number, first=seen[key]))
                    continue
                seen[key] = row.number
                ctx.conn.execute("SAVEPOINT import_row")
                try:
                    record_id = _create(ctx, register, data)
                except Refused as exc:
                    ctx.conn.execute("ROLLBACK TO import_row")
                    ctx.conn.execute("RELEASE import_row")
                    _skip(result, [CellIssue(row.number, _header_of(cols, p.field), p.message) for p in exc.problems])
                    continue
                ctx.conn.execute("RELEASE import_row")
                ctx.conn.execute("INSERT INTO import_keys (key, register, record_id, village_code, file_name, "
                                 "row_number, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (key, register, record_id, village, path.name, row.number, ctx.now_text()))
                result.imported += 1
                result.ids.append(record_id)
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.ids = []
    return result


def _skip(result: TableImportResult, issues: list[CellIssue]) -> None:
    result.skipped += 1
    result.problems += issues


def _header_of(cols, field_key: str) -> str:
    base = re.sub(r"\[\d+\].*$", "", field_key or "")
    aliases = {"parties": "parties", "roster": "attended", "materials": "materials", "anonymous": "caller_name",
               "amount_cents": "amount", "agreement": "result", "exam_held": "exam_takers"}
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
            issues.append(CellIssue(number, "参加人数", _("At most {n} people per session.").format(n=MAX_PLACEHOLDERS)))
        if takers > att:
            issues.append(CellIssue(number, "考试人数", _("More exam takers than people attending.")))
        if passed > takers:
            issues.append(CellIssue(number, "合格人数", _("More people passed than took the exam.")))
    return data, issues


def _create(ctx: Context, register: str, data: dict) -> str:
    if register == "disputes":
        d = {k: v for k, v in data.items() if k not in ("parties", "amount") and v not in (None, "")}
        status = d.get("status") or (vocab.DisputeStatus.CONCLUDED if d.get("result") else vocab.DisputeStatus.PENDING)
        closed_out = status == vocab.DisputeStatus.CLOSED_OUT
        d["status"] = vocab.DisputeStatus.CONCLUDED if closed_out else status
        if d.get("result") == vocab.DisputeResult.SUCCESS:
            d["agreement"] = 1
            if data.get("amount"):
                d["amount_cents"] = data["amount"]
        closed_on = d.pop("closed_out_on", None)
        dispute_id = disputes.create_dispute(ctx, d, data["parties"])
        if closed_out:
            disputes.close_out(ctx, dispute_id, closed_out_on=closed_on or d.get("concluded_on"))
        return dispute_id
    if register == "trainings":
        att, takers, passed = (data.get(k) or 0 for k in ("attended", "exam_takers", "exam_passed"))
        d = {k: v for k, v in data.items() if k not in ("attended", "exam_takers", "exam_passed") and v not in (None, "")}
        d["exam_held"] = 1 if takers else 0
        roster = [{"name": f"参加人员{i + 1}", "signed_in": 1,
                   "exam_passed": (1 if i < passed else 0) if i < takers else None} for i in range(att)]
        return trainings.create_training(ctx, d, roster)
    if register == "hotline":
        d = {k: v for k, v in data.items() if v not in (None, "")}
        name = (d.get("caller_name") or "").strip()
        if name in ("", "匿名", "不愿透露"):
            d["anonymous"] = 1
            d["caller_name"] = ""
        return hotline.create_call(ctx, d)
    d = {k: v for k, v in data.items() if k not in ("materials", "material_kind") and v not in (None, "")}
    materials = [{"kind": data.get("material_kind") or "其他", "quantity": data["materials"]}] \
        if data.get("materials") else []
    return publicity.create_event(ctx, d, materials)


def problems_as_refusal(result: TableImportResult) -> list[Problem]:
    return [Problem(p.column, _("Row {row}, column {column}: {message}").format(row=p.row, column=p.column,
                                                                               message=p.message))
            for p in result.problems]
