"""Reading and writing CSV/XLSX tables (dudu_desktop.sheets)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dudu_desktop.domain.dates import parse_date
from dudu_desktop.sheets import (
    TableReadError,
    cell_text,
    neutralise_formula,
    normalise_header,
    read_table,
    write_csv,
    write_xlsx,
)

HEADERS = ["登记日期", "姓名", "身份证号", "联系方式", "纠纷类型", "协议金额"]
ROWS = [
    ["2024-05-01", "张三", "11010519491231002X", "13800001111", "邻里", "1409.5"],
    ["2024-05-02", "李四", "510222199001011234", "13912345678", "婚姻家庭", "10000"],
    ["2024-05-03", "王五，堃", "", "", "其他", "-12.5"],
]
TITLE_LINE = "都督乡矛盾纠纷排查台账（2024年5月）"


def _csv_text(delimiter: str, *, title: bool = True) -> str:
    lines = [TITLE_LINE, ""] if title else []
    lines += [delimiter.join(HEADERS)] + [delimiter.join(r) for r in ROWS] + ["", ""]
    return "\r\n".join(lines)


# ---------------------------------------------------------------- CSV: encodings and delimiters


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_encoding_and_delimiter_reads_the_same_rows(tmp_path, encoding, delimiter):
    path = tmp_path / "disputes.csv"
    path.write_bytes(_csv_text(delimiter).encode(encoding))
    table = read_table(path, expected_headers=["登记日期", "姓名"])
    assert table.headers == HEADERS
    assert [r.cells for r in table.rows] == ROWS
    assert table.header_row == 3  # title, blank line, header
    assert [r.number for r in table.rows] == [4, 5, 6]
    assert table.problems == []
    assert (
        table.encoding
        == {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gbk": "GB18030", "gb18030": "GB18030", "utf-16": "UTF-16"}[
            encoding
        ]
    )


def test_without_expected_headers_the_first_non_blank_row_is_the_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\r\n\r\n" + _csv_text(",", title=False), encoding="utf-8")
    table = read_table(path)
    assert table.headers == HEADERS and table.header_row == 3


def test_row_numbers_follow_excel_rows_across_blank_and_multiline_records(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('姓名,备注\r\n张三,"第一行\r\n第二行"\r\n\r\n  李四 , 已回访 \r\n', encoding="utf-8")
    table = read_table(path)
    assert [(r.number, r.cells) for r in table.rows] == [(2, ["张三", "第一行\r\n第二行"]), (4, ["李四", "已回访"])]


def test_headers_are_normalised_and_short_rows_padded(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('"登记\n日期",* 姓名 ,联系方式＊,,\r\n2024-5-1\r\n', encoding="utf-8")
    table = read_table(path, expected_headers=["登记日期", "姓名"])
    assert table.headers == ["登记日期", "姓名", "联系方式"]
    assert table.rows[0].cells == ["2024-5-1", "", ""]
    assert table.column("联系方式") == 2 and table.column(" 登记 日期 ") == 0
    assert table.column("备注") is None
    assert normalise_header("＊姓\u3000名*") == "姓名"


def test_content_outside_the_header_is_reported_not_dropped_silently(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("姓名,性别\r\n张三,男,多余\r\n", encoding="utf-8")
    table = read_table(path)
    assert table.rows[0].cells == ["张三", "男"]
    [problem] = table.problems
    assert (problem.row, problem.column) == (2, 2)
    assert "第 2 行 C 列“多余”在表头范围之外" in problem.message


def test_columns_past_z_are_named_as_excel_names_them(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("姓名,性别\r\n张三,男" + "," * 25 + "多余,,再多\r\n", encoding="utf-8")
    assert [(p.column, p.message.split("“")[0]) for p in read_table(path).problems] == [
        (26, "第 2 行 AA 列"),
        (28, "第 2 行 AC 列"),
    ]


def test_reading_a_csv_needs_no_openpyxl():
    code = (
        "import sys, pathlib, tempfile\n"
        "from dudu_desktop.sheets import read_table\n"
        "p = pathlib.Path(tempfile.mkdtemp()) / 't.csv'\n"
        "p.write_text('姓名,性别\\n张三,男\\n', encoding='utf-8')\n"
        "assert read_table(p).rows[0].cells == ['张三', '男']\n"
        "assert not [m for m in sys.modules if m.startswith('openpyxl')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_id_numbers_excel_turned_into_scientific_notation_are_reported(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("姓名,身份证号\r\n张三,5.10222E+17\r\n李四,12.5\r\n".encode("gbk"))
    table = read_table(path)
    [problem] = table.problems
    assert (problem.row, problem.column) == (2, 1)
    assert "「身份证号」" in problem.message and "长号码" in problem.message


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x81\x30\xff\xfe\x00garbage\xff", "无法识别文件编码（支持 UTF-8 与 GBK）"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "不支持旧版 .xls/.et 格式"),
        (b"PK\x03\x04 this is not really a workbook", "文件不是有效的 Excel 工作簿"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "网页（HTML）格式"),
        (b"a,b\r\n1,\x00\r\n", "含有二进制内容"),
        (b"", "文件中没有数据"),
        (b"\r\n , \r\n", "文件中没有数据"),
    ],
)
def test_unreadable_files_raise_table_read_error_with_a_chinese_message(tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(TableReadError) as info:
        read_table(path)
    assert message in info.value.message and str(info.value) == info.value.message


def test_missing_header_too_big_too_many_rows_and_missing_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(_csv_text(","), encoding="utf-8")
    with pytest.raises(TableReadError) as info:
        read_table(path, expected_headers=["走访", "回访日期", "姓名"])
    assert info.value.message == (
        "未找到表头：应有列名 「走访」、「回访日期」、「姓名」，但前 30 行中没有一行包含其中两个"
    )
    with pytest.raises(TableReadError, match="没有一行包含它"):
        read_table(path, expected_headers=["走访"])
    assert read_table(path, expected_headers=["姓名"]).header_row == 3
    with pytest.raises(TableReadError, match=r"文件过大（超过 50 字节）"):
        read_table(path, max_bytes=50)
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(50 * 1024 * 1024 + 1)  # sparse: nothing is really written
    with pytest.raises(TableReadError, match=r"^文件过大（超过 50 MB）$"):
        read_table(big)
    with pytest.raises(TableReadError, match="表格数据超过 2 行"):
        read_table(path, expected_headers=HEADERS, max_rows=2)
    assert len(read_table(path, expected_headers=HEADERS, max_rows=3).rows) == 3
    with pytest.raises(TableReadError, match="无法打开文件“nope.csv”"):
        read_table(tmp_path / "nope.csv")


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01",
        "2024-5-1",
        "2024/5/1",
        "2024.5.1",
        "2024年5月1日",
        "2024 年 5 月 1 日",
        "2024年05月01号",
        "20240501",
        "2024/5/1 0:00",
        "2024-05-01 08:30:00",
        "2024-05-01T08:30",
        "  2024/05/01 ",
        "２０２４年５月１日",
        "２０２４／５／１",
    ],
)
def test_parse_date_accepts_the_ways_people_write_a_date(text):
    assert parse_date(text) == dt.date(2024, 5, 1)


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000"])
def test_parse_date_blank_is_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("2024-02-30", "日期不存在"),
        ("2024年13月1日", "日期不存在"),
        ("20241301", "日期不存在"),
        ("明天", "无法识别的日期"),
        ("2024-5/1", "无法识别的日期"),
        ("5", "无法识别的日期"),
        ("60", "无法识别的日期"),
        ("202405", "无法识别的日期"),
        ("24-5-1", "无法识别的日期"),
        # issue 11: text is never an Excel serial number (a year alone became 1905-07-16)
        ("2024", "无法识别的日期"),
        ("99", "无法识别的日期"),
        ("45413", "无法识别的日期"),
        ("45413.75", "无法识别的日期"),
    ],
)
def test_parse_date_refuses_garbage_with_a_chinese_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_every_date_style_in_a_csv_column_parses_to_the_same_date(tmp_path):
    styles = ["2024-05-01", "2024-5-1", "2024/5/1", "2024.5.1", "2024年5月1日", "20240501"]
    path = tmp_path / "dates.csv"
    path.write_bytes(("登记日期,姓名\r\n" + "".join(f"{s},张三\r\n" for s in styles)).encode("gbk"))
    table = read_table(path)
    assert [r.cells[0] for r in table.rows] == styles
    assert {parse_date(r.cells[0]) for r in table.rows} == {dt.date(2024, 5, 1)}


# ---------------------------------------------------------------- formula neutralisation


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("=1+1", "'=1+1"),
        ("+86 138 0000 1111", "'+86 138 0000 1111"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-12.5", "-12.5"),
        ("-12", "-12"),
        ("12.5", "12.5"),
        ("张三", "张三"),
        ("", ""),
        ("a=b", "a=b"),
        ("'=1", "'=1"),
    ],
)
def test_neutralise_formula(cell, expected):
    assert neutralise_formula(cell) == expected


def test_cell_text():
    assert [cell_text(v) for v in (None, 12.0, 0.1, 1e-05, -3, True, 1409.5)] == [
        "",
        "12",
        "0.1",
        "0.00001",
        "-3",
        "TRUE",
        "1409.5",
    ]
    assert cell_text(dt.datetime(2024, 5, 1)) == "2024-05-01"
    assert cell_text(dt.datetime(2024, 5, 1, 8, 30)) == "2024-05-01 08:30"
    assert cell_text(dt.time(14, 5)) == "14:05"
    assert cell_text(5.10222199001011234e17) == "510222199001011000"  # what Excel shows


# ---------------------------------------------------------------- CSV writing


def test_write_csv_is_utf8_bom_crlf_rfc4180_and_neutralised(tmp_path):
    path = tmp_path / "ledger.csv"
    write_csv(
        path,
        ["姓名", "备注", "金额"],
        [["张三", 'say "hi", then\nleave', -12.5], ["=1+1", "@SUM(A1)", None], ["+86 138", 12.0, dt.date(2024, 5, 1)]],
    )
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == (
        '姓名,备注,金额\r\n张三,"say ""hi"", then\nleave",-12.5\r\n\'=1+1,\'@SUM(A1),\r\n\'+86 138,12,2024-05-01\r\n'
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.csv"]


def test_write_csv_without_neutralising_round_trips_exactly_through_a_file_object():
    buf = io.BytesIO()
    write_csv(buf, ["a", "b"], [["=1+1", "-cmd"]], neutralise=False)
    assert buf.getvalue() == "\ufeffa,b\r\n=1+1,-cmd\r\n".encode("utf-8")
    assert not buf.closed


def test_written_csv_reads_back(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, HEADERS, ROWS)
    table = read_table(path, expected_headers=HEADERS)
    assert table.encoding == "UTF-8"
    assert [r.cells for r in table.rows] == ROWS


_cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12).map(str.strip)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(_cell, min_size=3, max_size=3).filter(any), max_size=8))
def test_csv_round_trip_property(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("rt") / "rt.csv"
    write_csv(path, ["甲", "乙", "丙"], rows, neutralise=False)
    table = read_table(path)
    assert table.headers == ["甲", "乙", "丙"]
    assert [r.cells for r in table.rows] == [[c.strip() for c in r] for r in rows]


# ---------------------------------------------------------------- XLSX


def test_xlsx_round_trip_keeps_id_numbers_as_exact_text(tmp_path):
    path = tmp_path / "ledger.xlsx"
    rows = [list(r) for r in ROWS]
    rows[0][0] = dt.date(2024, 5, 1)
    rows[1][5] = 10000
    rows[2][3] = 13800001111  # a phone passed as int still becomes text
    write_xlsx(path, HEADERS, rows, title=TITLE_LINE, text_columns=["身份证号", 3], sheet_name="矛盾纠纷台账")

    ws = openpyxl.load_workbook(path)["矛盾纠纷台账"]
    for row, expected in ((3, "11010519491231002X"), (4, "510222199001011234")):
        cell = ws.cell(row, 3)
        assert cell.value == expected and cell.data_type == "s" and cell.number_format == "@"
    assert ws.cell(5, 4).value == "13800001111" and ws.cell(5, 4).number_format == "@"
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$2:$2"
    assert ws["A1"].value == TITLE_LINE and ws["A1"].font.b
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert all(ws.cell(2, c).font.b for c in range(1, 7))
    assert ws.cell(3, 1).is_date and ws.cell(4, 6).value == 10000

    table = read_table(path, expected_headers=["登记日期", "姓名"], sheet="矛盾纠纷")
    assert table.sheet == "矛盾纠纷台账" and table.header_row == 2
    assert [r.number for r in table.rows] == [3, 4, 5]
    assert [r.cells for r in table.rows] == [
        ROWS[0],
        ROWS[1],
        ["2024-05-03", "王五，堃", "", "13800001111", "其他", "-12.5"],
    ]
    assert table.problems == []


def test_xlsx_without_title_freezes_below_the_first_row_and_never_writes_formulas(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx(path, ["备注", "编号"], [["=1+1", 123456789012345678], ["ok\x0b\x01", None]])
    ws = openpyxl.load_workbook(path).active
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == "123456789012345678" and ws["B2"].number_format == "@"
    assert ws["A3"].value == "ok"  # control characters are invalid in xlsx


def test_xlsx_widths_count_cjk_double_and_can_be_given(tmp_path):
    path = tmp_path / "w.xlsx"
    write_xlsx(path, ["a", "b", "c"], [["纠纷简要情况纠纷简要情况", "abcdefghijkl", "x"]])
    dims = openpyxl.load_workbook(path).active.column_dimensions
    assert dims["A"].width == 26 and dims["B"].width == 14 and dims["C"].width == 6
    write_xlsx(path, ["a", "b"], [], widths=[10, 30])
    dims = openpyxl.load_workbook(path).active.column_dimensions
    assert (dims["A"].width, dims["B"].width) == (10, 30)


def test_write_xlsx_unknown_text_column_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="没有名为「身份证」的列"):
        write_xlsx(tmp_path / "x.xlsx", ["姓名"], [], text_columns=["身份证"])
    assert list(tmp_path.iterdir()) == []


def _workbook(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for row in rows:
            ws.append(row)
    wb.save(path)


def test_xlsx_reading_converts_cells_and_reports_ids_excel_already_rounded(tmp_path):
    path = tmp_path / "old.xlsx"
    _workbook(
        path,
        [
            ("说明", [["本表由村委会填写"]], "visible"),
            ("hidden", [["登记日期", "姓名"], ["x", "y"]], "hidden"),
            (
                "Sheet3",
                [
                    ["都督乡矛盾纠纷台账"],
                    [],
                    ["登记日期", "姓名", "身份证号", "金额", "已回访"],
                    [dt.datetime(2024, 5, 1), "张三", 5.10222199001011234e17, 1409.5, True],
                    [None, None, None, None, None],
                    [dt.datetime(2024, 5, 2, 9, 30), " 李四 ", "510222199001011234", 12.0, False],
                ],
                "visible",
            ),
        ],
    )
    table = read_table(path, expected_headers=["登记日期", "姓名"])
    assert table.sheet == "Sheet3" and table.header_row == 3
    assert [(r.number, r.cells) for r in table.rows] == [
        (4, ["2024-05-01", "张三", "510222199001011000", "1409.5", "TRUE"]),
        (6, ["2024-05-02 09:30", "李四", "510222199001011234", "12", "FALSE"]),
    ]
    [problem] = table.problems
    assert (problem.row, problem.column) == (4, 2)
    assert "第 4 行「身份证号」" in problem.message and "文本" in problem.message


def test_xlsx_without_expected_headers_reads_the_first_visible_sheet(tmp_path):
    path = tmp_path / "s.xlsx"
    _workbook(path, [("hidden", [["x"]], "hidden"), ("台账", [["姓名"], ["张三"]], "visible")])
    table = read_table(path)
    assert (table.sheet, table.headers, table.rows[0].cells) == ("台账", ["姓名"], ["张三"])


def test_xlsx_with_a_wrong_declared_dimension_is_read_completely(tmp_path):
    path = tmp_path / "dim.xlsx"
    _workbook(path, [("S", [["姓名", "性别"], ["张三", "男"]], "visible")])
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1"/>')
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    assert read_table(path).rows[0].cells == ["张三", "男"]


# ---------------------------------------------------------------- written whole or not at all


def test_failing_row_source_leaves_the_old_csv_and_xlsx(tmp_path):
    def rows():
        yield ["张三"]
        raise OSError("U 盘已拔出")

    for name, writer in (("a.csv", write_csv), ("a.xlsx", write_xlsx)):
        path = tmp_path / name
        path.write_bytes(b"old")
        with pytest.raises(OSError):
            writer(path, ["姓名"], rows())
        assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.xlsx"]
