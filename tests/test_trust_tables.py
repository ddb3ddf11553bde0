"""Issue 11 (trust first), the spreadsheet items: a broken CSV never loses rows silently (3), a year alone
is not a date and dates outside 1949-01-01 … 31 Dec of next year are a problem of their row on every path (4),
an .xlsx zip bomb is refused before openpyxl opens it (15), and an out-of-range number is a problem of its
row, never an OverflowError that aborts the import (16)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from dudu_desktop import sheets
from dudu_desktop.cli import main
from dudu_desktop.domain import fields as F
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.validate import clean_record, date_range_problem
from dudu_desktop.fileio import MiB
from dudu_desktop.services import disputes, hotline, publicity
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync.tables import import_table
from tests import test_hostile_bundles
from tests.test_hostile_bundles import _encode, _table_rows, attempt, rebuild

# The hostile-bundle fixtures, used here by name: the township and its villages.
world, town = test_hostile_bundles.world, test_hostile_bundles.town

DISPUTE_HEAD = "登记日期,当事人,纠纷类型,纠纷简要情况,来源"


def count(conn, table: str = "disputes") -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]


def snapshot(conn, db_path: Path) -> str:
    """The records and import keys (the command line may add an audited daily backup entry of its own)."""
    digest = hashlib.sha256()
    for table in (*RECORD_TABLES, "import_keys"):
        for row in sorted(repr(tuple(r)) for r in conn.execute(f"SELECT * FROM {table}")):
            digest.update(row.encode())
    return digest.hexdigest()


def run(db_path, register: str, path, capsys) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), "import-table", "--register", register, str(path), "--json"])
    out = capsys.readouterr()
    return code, out.out, out.err


def ten_rows(tmp_path, change: dict[int, str], name: str = "ten.csv") -> Path:
    """Ten dispute rows; ``change`` maps a data-row number (1…10) to its summary cell as written."""
    lines = [DISPUTE_HEAD]
    for i in range(1, 11):
        lines.append(f"2024-05-{i:02d},张{i},邻里,{change.get(i, f'情况{i}')},主动排查")
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return path


# --- item 3: CSV quoting ------------------------------------------------------------------------------


def test_an_unclosed_quote_refuses_the_file_naming_the_line(ctx, db_path, tmp_path, capsys):
    path = ten_rows(tmp_path, {3: '"情况3 引号没有闭合'})
    before = snapshot(ctx.conn, db_path)
    code, out, err = run(db_path, "disputes", path, capsys)
    assert code == 1 and out == ""
    assert "第 4 行" in err and "引号" in err and "没有闭合" in err  # row 3 of data is line 4
    assert "Traceback" not in err
    assert count(ctx.conn) == 0 and snapshot(ctx.conn, db_path) == before


def test_a_quote_closed_rows_later_is_refused_not_swallowed(ctx, db_path, tmp_path, capsys):
    # the quote opened on row 3 is "closed" by a stray quote at the end of row 6's summary: rows 4-6
    # would become one cell of row 3 with the right number of cells
    path = ten_rows(tmp_path, {3: '"情况3', 6: '情况6"'})
    code, out, err = run(db_path, "disputes", path, capsys)
    assert code == 1 and "第 4 行" in err and "引号" in err
    assert count(ctx.conn) == 0


def test_a_quote_closed_on_the_next_line_is_refused_too(ctx, db_path, tmp_path, capsys):
    path = ten_rows(tmp_path, {3: '"情况3', 4: '情况4"'})
    code, out, err = run(db_path, "disputes", path, capsys)
    assert code == 1 and "第 4 行" in err and count(ctx.conn) == 0


def test_a_quoted_cell_with_text_after_its_closing_quote_is_refused_naming_the_line(ctx, db_path, tmp_path, capsys):
    path = ten_rows(tmp_path, {5: '"情况"5'})
    code, out, err = run(db_path, "disputes", path, capsys)
    assert code == 1 and "第 6 行" in err and "引号" in err and count(ctx.conn) == 0


def test_closed_multiline_cells_and_stray_quotes_import_every_row(ctx, db_path, tmp_path, capsys):
    path = ten_rows(tmp_path, {2: '"第一行，\r\n第二行, 含逗号\r\n第三行"', 5: '张"三说的"话', 7: '"他说""好"""'})
    code, out, err = run(db_path, "disputes", path, capsys)
    result = json.loads(out)
    assert code == 0 and err == ""
    # every data row is accounted for: the multi-line cell is one row, not three
    assert (result["rows"], result["imported"], result["skipped"], result["duplicates"]) == (10, 10, 0, 0)
    summaries = dict(ctx.conn.execute("SELECT registered_on, summary FROM disputes"))
    assert summaries["2024-05-02"] == "第一行，\r\n第二行, 含逗号\r\n第三行"
    assert summaries["2024-05-05"] == '张"三说的"话'  # a stray quote inside a cell is a character
    assert summaries["2024-05-07"] == '他说"好"'
    assert summaries["2024-05-10"] == "情况10"


def test_rows_with_more_or_fewer_cells_than_the_header_are_all_reported(ctx, db_path, tmp_path, capsys):
    path = tmp_path / "ragged.csv"
    path.write_text(
        DISPUTE_HEAD + "\r\n2024-05-01,张1,邻里,情况1,主动排查,多出来的\r\n2024-05-02,张2,邻里\r\n"
        "2024-05-03,张3,邻里,情况3,主动排查\r\n",
        encoding="utf-8",
    )
    code, out, err = run(db_path, "disputes", path, capsys)
    result = json.loads(out)
    assert code == 0
    assert result["rows"] == 3 and result["imported"] + result["skipped"] == 3
    assert result["skipped"] == 1 and any(p["row"] == 3 for p in result["problems"])
    assert any("第 2 行" in n and "多出来的" in n for n in result["notes"])


# --- item 4: dates ------------------------------------------------------------------------------------


def test_a_year_alone_or_an_impossible_date_is_a_problem_of_its_row(ctx, db_path, tmp_path, capsys):
    path = tmp_path / "dates.csv"
    cells = ["2024", "99", "45413", "0001-01-01", "1948-12-31", "2024-05-01", "1949-01-01"]
    path.write_text(
        DISPUTE_HEAD + "\r\n" + "".join(f"{c},张{i},邻里,情况{i},主动排查\r\n" for i, c in enumerate(cells)),
        encoding="utf-8",
    )
    code, out, err = run(db_path, "disputes", path, capsys)
    result = json.loads(out)
    assert code == 0 and (result["imported"], result["skipped"]) == (2, 5)
    assert sorted({(p["row"], p["column"]) for p in result["problems"]}) == [(r, "登记日期") for r in range(2, 7)]
    assert sorted(r[0] for r in ctx.conn.execute("SELECT registered_on FROM disputes")) == ["1949-01-01", "2024-05-01"]
    assert not any("1905" in p["message"] or "1900" in p["message"] for p in result["problems"][:3])


def test_xlsx_serial_numbers_only_from_numeric_cells(ctx, db_path, tmp_path, capsys):
    wb = Workbook()
    ws = wb.active
    ws.append(DISPUTE_HEAD.split(","))
    ws.append([45413, "张1", "邻里", "数字单元格（常规格式）", "主动排查"])  # typed number → 2024-05-01
    ws.append([dt.datetime(2024, 5, 2), "张2", "邻里", "日期单元格", "主动排查"])
    ws.append(["45413", "张3", "邻里", "文本单元格里的数字", "主动排查"])  # text → not a date
    ws.append([2024, "张4", "邻里", "只有年份的数字", "主动排查"])  # 1905-07-16 → out of range
    ws.append([20240505, "张5", "邻里", "八位数字", "主动排查"])
    path = tmp_path / "serial.xlsx"
    wb.save(path)
    code, out, err = run(db_path, "disputes", path, capsys)
    result = json.loads(out)
    assert code == 0 and (result["imported"], result["skipped"]) == (3, 2)
    assert sorted({(p["row"], p["column"]) for p in result["problems"]}) == [(4, "登记日期"), (5, "登记日期")]
    assert sorted(r[0] for r in ctx.conn.execute("SELECT registered_on FROM disputes")) == [
        "2024-05-01",
        "2024-05-02",
        "2024-05-05",
    ]


def test_the_date_range_is_one_domain_rule_for_every_path(ctx):
    today = dt.date(2024, 12, 20)
    assert date_range_problem(dt.date(1949, 1, 1), today, "日期") is None
    assert date_range_problem(dt.date(2025, 12, 31), today, "日期") is None
    assert date_range_problem(dt.date(1948, 12, 31), today, "日期")
    assert date_range_problem(dt.date(2026, 1, 1), today, "日期")
    # keyboard entry (the services call clean_record)
    _v, problems = clean_record(F.DISPUTE, {"registered_on": "0001-01-01"}, today=today, partial=True)
    assert [p.field for p in problems] == ["registered_on"]
    with pytest.raises(Refused) as exc:
        disputes.create_dispute(
            ctx,
            {
                "registered_on": "1900-01-01",
                "dispute_type": "邻里",
                "summary": "x",
                "source": "主动排查",
                "level": "蓝",
            },
            [{"name": "张三", "role": "申请人"}],
        )
    assert [p.field for p in exc.value.problems] == ["registered_on"]
    with pytest.raises(Refused) as exc:
        hotline.create_call(
            ctx,
            {
                "called_at": "0001-01-01 09:00",
                "channel": "电话",
                "category": "劳动",
                "question": "x",
                "anonymous": True,
            },
        )
    assert [p.field for p in exc.value.problems] == ["called_at"]


def test_a_bundle_row_dated_0001_01_01_is_set_aside(world, town):
    ctx, db_file = town
    members = dict(world.members)
    rows = _table_rows(members["disputes.csv"])
    col = rows[0].index("registered_on")
    rows[1][col] = "0001-01-01"
    members["disputes.csv"] = _encode(rows)
    result = attempt(ctx, world.file(world.seal(rebuild(members)), ".dudu"), db_file, allow_unsealed=False)
    assert result is not None and result.applied
    assert result.counts["disputes"]["invalid"] == 1
    assert any(p.column == "registered_on" and p.row == 2 for p in result.problems)
    assert ctx.conn.execute("SELECT count(*) FROM disputes WHERE registered_on < '1949'").fetchone()[0] == 0


# --- item 16: numbers out of range -------------------------------------------------------------------


def test_a_twenty_digit_count_or_amount_is_a_problem_of_its_row(ctx, db_path, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(
        "日期,主题,形式,受众人次,发放资料数\r\n2024-05-01,宣传一,讲座,12345678901234567890,\r\n"
        "2024-05-02,宣传二,讲座,10,99999999999999999999\r\n2024-05-03,宣传三,讲座,80,200\r\n",
        encoding="utf-8",
    )
    code, out, err = run(db_path, "publicity", path, capsys)
    assert "Traceback" not in err and code == 0
    result = json.loads(out)
    assert (result["imported"], result["skipped"]) == (1, 2)
    assert sorted((p["row"], p["column"]) for p in result["problems"]) == [(2, "受众人次"), (3, "发放资料数")]
    assert count(ctx.conn, "publicity_events") == 1

    path = tmp_path / "d.csv"
    path.write_text(
        DISPUTE_HEAD + ",状态,调处结果,办结日期,协议金额\r\n"
        "2024-05-01,张1,邻里,情况1,主动排查,已办结,调解成功,2024-05-02,12345678901234567890\r\n"
        "2024-05-01,张2,邻里,情况2,主动排查,已办结,调解成功,2024-05-02,1409.50\r\n",
        encoding="utf-8",
    )
    code, out, err = run(db_path, "disputes", path, capsys)
    result = json.loads(out)
    assert code == 0 and (result["imported"], result["skipped"]) == (1, 1)
    assert [(p["row"], p["column"]) for p in result["problems"]] == [(2, "协议金额")]
    assert [tuple(r) for r in ctx.conn.execute("SELECT amount_cents FROM disputes")] == [(140950,)]


def test_number_bounds_are_domain_rules_for_every_path(ctx):
    today = dt.date(2024, 12, 20)
    for spec, key, value in [
        (F.PUBLICITY, "audience", 10**20),
        (F.PUBLICITY, "audience", "10000001"),
        (F.MATERIAL, "quantity", "99999999999999999999"),
        (F.DISPUTE, "amount_cents", "1000000000000"),
        (F.DISPUTE, "prevented_petition", 10**7 + 1),
        (F.TRAINING, "duration_hours", "1e300"),
        (F.PERSON, "age", 151),
    ]:
        _v, problems = clean_record(spec, {key: value}, today=today, partial=True)
        assert [p.field for p in problems] == [key], (key, value)
    for spec, key, value in [(F.PUBLICITY, "audience", 10**7), (F.DISPUTE, "amount_cents", "999999999999.99")]:
        assert clean_record(spec, {key: value}, today=today, partial=True)[1] == []
    started = time.monotonic()  # a huge exponent is refused without building the number
    for key in ("audience",):
        assert clean_record(F.PUBLICITY, {key: "1e999999999"}, today=today, partial=True)[1]
    assert clean_record(F.DISPUTE, {"amount_cents": "1e999999999"}, today=today, partial=True)[1]
    assert time.monotonic() - started < 2
    with pytest.raises(Refused) as exc:
        publicity.create_event(ctx, {"held_on": "2024-05-01", "theme": "x", "form": "讲座", "audience": 10**20})
    assert [p.field for p in exc.value.problems] == ["audience"]


def test_a_bundle_row_with_an_absurd_count_is_set_aside(world, town):
    # (the bundle reader already refuses integers of more than 18 digits; the domain bound is tighter)
    ctx, db_file = town
    members = dict(world.members)
    rows = _table_rows(members["publicity_events.csv"])
    col = rows[0].index("audience")
    rows[1][col] = "999999999999999999"
    members["publicity_events.csv"] = _encode(rows)
    result = attempt(ctx, world.file(world.seal(rebuild(members)), ".dudu"), db_file, allow_unsealed=False)
    assert result is not None and result.applied
    assert result.counts["publicity_events"]["invalid"] == 1
    assert any(p.column == "audience" and p.row == 2 for p in result.problems)


# --- item 15: zip bombs in .xlsx ----------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="' + _REL + '/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        f'2006/relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    ),
    "xl/worksheets/sheet1.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>5</v></c></row>'
        '</sheetData></worksheet>'
    ),
}
_STRINGS = ["日期", "主题", "形式", "2024-05-01", "宪法宣传", "讲座"]


def handmade_xlsx(path: Path, *, padding_bytes: int = 0, extra_entries: int = 0) -> Path:
    """A workbook whose sharedStrings.xml carries ``padding_bytes`` of repeated ``<si><t>a</t></si>``
    after the six real strings, written in chunks (small on disk, little memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">'.encode())
            f.write("".join(f"<si><t>{s}</t></si>" for s in _STRINGS).encode())
            chunk = b"<si><t>a</t></si>" * 65536
            for _ in range(padding_bytes // len(chunk)):
                f.write(chunk)
            f.write(b"</sst>")
        for i in range(extra_entries):
            zf.writestr(f"xl/media/image{i}.bin", b"")
    return path


def test_a_handmade_workbook_without_padding_imports(ctx, db_path, tmp_path, capsys):
    code, out, err = run(db_path, "publicity", handmade_xlsx(tmp_path / "ok.xlsx"), capsys)
    assert code == 0 and json.loads(out)["imported"] == 1


def test_an_xlsx_shared_strings_bomb_is_refused_before_it_is_read(ctx, db_path, tmp_path, capsys):
    path = handmade_xlsx(tmp_path / "bomb.xlsx", padding_bytes=260 * MiB)
    assert path.stat().st_size < 2 * MiB
    before = snapshot(ctx.conn, db_path)
    started = time.monotonic()
    code, out, err = run(db_path, "publicity", path, capsys)
    assert time.monotonic() - started < 10
    assert code == 1 and out == "" and "压缩炸弹" in err and "Traceback" not in err
    assert count(ctx.conn, "publicity_events") == 0 and snapshot(ctx.conn, db_path) == before


def test_one_highly_compressed_big_entry_is_refused_even_under_the_total(ctx, tmp_path):
    path = handmade_xlsx(tmp_path / "ratio.xlsx", padding_bytes=20 * MiB)  # ratio ≈ 1000, 20 MB
    with pytest.raises(Refused, match="压缩炸弹"):
        import_table(ctx, "publicity", path)


def test_too_many_entries_are_refused(ctx, tmp_path):
    path = handmade_xlsx(tmp_path / "many.xlsx", extra_entries=sheets.XLSX_MAX_ENTRIES)
    with pytest.raises(Refused, match="文件过多"):
        import_table(ctx, "publicity", path)
