"""Issue 13, spreadsheets: the .xlsx ledger is set up to print (A4 landscape, one page wide,
header repeated, page numbers, borders, wrap, widths, 填表人/审核人) with real date, money
and percent cells; the .csv has dates with the year, one line per record, and full ID
numbers and phones that stay text when LibreOffice opens it. Read back with openpyxl; the
LibreOffice tests skip when soffice is not installed."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from dudu_desktop.cli import main
from dudu_desktop.services import disputes
from reports_support import seed

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
LONG_ID, LANDLINE = "500243198001011234", "02377123456"


@pytest.fixture
def seeded(ctx, db_path):
    return ctx, db_path, seed(ctx)


def export(db, out, register="disputes", *extra) -> None:
    assert (
        main(
            [
                "--db",
                str(db),
                "report",
                "ledger",
                "--register",
                register,
                "--month",
                "2024-05",
                "--out",
                str(out),
                *extra,
            ]
        )
        == 0
    )


def header_index(ws, name: str) -> int:
    return [(c.value or "").replace("\n", "") for c in ws[3]].index(name) + 1


def test_xlsx_ledger_page_setup(seeded, tmp_path):
    _ctx, db, _ids = seeded
    export(db, tmp_path / "d.xlsx")
    ws = load_workbook(tmp_path / "d.xlsx").active
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0  # one page wide, as many down as needed
    assert ws.print_title_rows == "$3:$3"  # the header row on every page
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws.oddFooter.center.text.startswith("第")
    assert ws.print_options.horizontalCentered
    assert ws["A1"].value == "都督村2024年5月矛盾纠纷排查调处台账" and ws["A2"].value.startswith("填报单位：")
    for cell in list(ws[3]) + list(ws[4]):  # header and a record: thin borders all round, wrapped
        for side in (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom):
            assert side.style == "thin", cell.coordinate
        assert cell.alignment.wrap_text, cell.coordinate
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert len(widths) == ws.max_column and all(w >= 5 for w in widths.values())
    summary = header_index(ws, "纠纷简要情况")
    assert widths[chr(64 + summary)] > widths["A"] * 3  # the long text column is the wide one
    assert ws.row_dimensions[4].height >= 2 * 14  # two parties: two lines tall
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("填表人：") for t in texts) and any(t.startswith("审核人：") for t in texts)
    assert any(t.startswith("填报日期：") for t in texts)
    sign_row = next(c.row for row in ws.iter_rows() for c in row if str(c.value).startswith("填表人"))
    total_row = next(c.row for row in ws.iter_rows() for c in row if c.value == "合计")
    assert sign_row > total_row and ws.print_area == f"'{ws.title}'!$A$1:${chr(64 + ws.max_column)}${sign_row}"


def test_xlsx_cells_are_dates_money_and_percents(seeded, tmp_path):
    _ctx, db, _ids = seeded
    export(db, tmp_path / "d.xlsx")
    ws = load_workbook(tmp_path / "d.xlsx").active
    registered = ws.cell(4, header_index(ws, "登记日期"))
    assert isinstance(registered.value, dt.datetime) and registered.value.date() == dt.date(2024, 5, 6)
    assert registered.number_format == 'yyyy"年"m"月"d"日"'
    amount = ws.cell(4, header_index(ws, "协议金额（元）"))
    assert amount.value == 10000 and amount.data_type == "n" and amount.number_format == '"¥"#,##0.00'
    export(db, tmp_path / "t.xlsx", "trainings")
    ws = load_workbook(tmp_path / "t.xlsx").active
    rate = ws.cell(4, header_index(ws, "出勤率"))
    assert rate.value == pytest.approx(2 / 3) and rate.number_format == "0.0%"
    total_rate = ws.cell(5, header_index(ws, "出勤率"))
    assert ws.cell(5, 1).value == "合计" and total_rate.value == pytest.approx(2 / 3)
    export(db, tmp_path / "h.xlsx", "hotline")
    ws = load_workbook(tmp_path / "h.xlsx").active
    called = ws.cell(4, header_index(ws, "时间"))
    assert called.value == dt.datetime(2024, 5, 8, 14, 20) and called.number_format.startswith('yyyy"年"')


@needs_soffice
def test_a_two_row_ledger_renders_on_one_landscape_page_with_its_title(seeded, tmp_path):
    _ctx, db, _ids = seeded
    export(db, tmp_path / "h.xlsx", "hotline")  # two calls in May
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "h.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    from pypdf import PdfReader

    pdf = PdfReader(tmp_path / "out" / "h.pdf")
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.9, abs=1) and float(box.height) == pytest.approx(595.3, abs=1)
    text = pdf.pages[0].extract_text()
    assert "都督村2024年5月法律服务热线及法律咨询台账" in text.replace(" ", "")
    assert "第1页共1页" in text.replace(" ", "")


def csv_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def full_data(seeded):
    ctx, db, ids = seeded
    ids["landline"] = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-05-03", "dispute_type": "邻里", "source": "主动排查", "summary": "院坝占用。"},
        [{"role": "申请人", "name": "冉一", "id_number": LONG_ID, "phone": LANDLINE}],
    )
    return ctx, db, ids


def test_csv_dates_have_the_year_and_every_record_is_one_line(full_data, tmp_path, capsys):
    _ctx, db, _ids = full_data
    export(db, tmp_path / "d.csv", "disputes", "--unmasked")
    assert "建议导出为 .xlsx" in capsys.readouterr().err  # full data: the .xlsx is recommended
    raw = (tmp_path / "d.csv").read_bytes().decode("utf-8-sig")
    assert raw.count("\r\n") == raw.count("\n") == 6  # header, 4 records, totals: no line break inside a cell
    rows = csv_rows(tmp_path / "d.csv")
    head = rows[0]
    assert [r[head.index("登记日期")] for r in rows[1:5]] == ["2024-05-03", "2024-05-06", "2024-05-20", "2024-05-21"]
    assert rows[2][head.index("当事人")] == "张三丰；李四"
    assert rows[1][head.index("身份证号")] == f'="{LONG_ID}"' and rows[1][head.index("联系电话")] == f'="{LANDLINE}"'
    assert "'=HYPERLINK" in raw  # other formulas still neutralised
    export(db, tmp_path / "h.csv", "hotline")
    rows = csv_rows(tmp_path / "h.csv")
    assert rows[1][rows[0].index("时间")] == "2024-05-08 14:20"
    export(db, tmp_path / "t.csv", "trainings")
    rows = csv_rows(tmp_path / "t.csv")
    assert rows[1][rows[0].index("出勤率")] == "66.7%"


@needs_soffice
def test_unmasked_csv_keeps_id_numbers_and_phones_as_text_in_libreoffice(full_data, tmp_path):
    _ctx, db, _ids = full_data
    export(db, tmp_path / "d.csv", "disputes", "--unmasked")
    # what a user gets opening the file: UTF-8 (the BOM), comma-separated, default column types
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--infilter=CSV:44,34,76",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "d.csv"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    ws = load_workbook(tmp_path / "out" / "d.xlsx", data_only=True).active
    head = [c.value for c in ws[1]]
    id_cell = ws.cell(2, head.index("身份证号") + 1)
    phone_cell = ws.cell(2, head.index("联系电话") + 1)
    assert id_cell.value == LONG_ID and isinstance(id_cell.value, str)  # not 5.00243198001011E+17
    assert phone_cell.value == LANDLINE and isinstance(phone_cell.value, str)  # its 0 kept
    registered = ws.cell(2, head.index("登记日期") + 1).value
    assert registered == dt.datetime(2024, 5, 3)  # read as a date, with its year
    assert ws.cell(3, head.index("身份证号") + 1).value.startswith("11010519491231002X")
