"""Monthly ledgers: PDF read back (title, rows, totals, masking, page numbers, fonts, same
bytes), spreadsheets (text cells, BOM, formulas), the unmasked permission and its audit."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.reports import data, documents, ledgers
from dudu_desktop.reports.documents import LEDGER, DocumentRequest
from dudu_desktop.services import audit, demo, hotline, site
from reports_support import (
    CALLER_FULL,
    CALLER_PHONE,
    ID_FULL,
    ID_MASKED,
    NAME_FULL,
    NAME_MASKED,
    PHONE_FULL,
    PHONE_MASKED,
    assert_fonts_embedded,
    flat,
    new_context,
    page_numbers,
    pdf_text,
    reader,
    seed,
)


@pytest.fixture
def seeded(ctx):
    return ctx, seed(ctx)


def ledger_pdf(ctx, register, month="2024-05", **kw) -> bytes:
    content, pages = documents.pdf_bytes(ctx, DocumentRequest(LEDGER, {"register": register, "month": month, **kw}))
    assert len(reader(content).pages) == pages
    return content


def test_disputes_ledger_title_rows_totals_and_signature(seeded):
    ctx, _ids = seeded
    pdf = ledger_pdf(ctx, "disputes")
    text = pdf_text(pdf)
    assert "都督村2024年5月矛盾纠纷排查调处台账" in text
    assert "2024-001" in text and "2024-002" in text and "2024-003" in text
    assert "2024-004" not in text  # June
    assert "5月6日" in text and "5月10日" in text  # registered, concluded
    assert "10,000.00" in text  # amount and its total
    assert "共3件：调解成功1件，调解不成1件，撤回0件，在办1件" in flat(text)
    assert "填表人" in text and "审核人" in text and "填报日期" in text
    assert "2024年12月20日" not in text  # 填报日期 left blank to write by hand (issue 13), not the print day
    assert_fonts_embedded(pdf)


def test_masked_ledger_shows_no_full_personal_data(seeded):
    ctx, _ids = seeded
    disputes_text = flat(pdf_text(ledger_pdf(ctx, "disputes")))
    for full in (ID_FULL, PHONE_FULL, NAME_FULL):
        assert full not in disputes_text
    assert ID_MASKED in disputes_text and PHONE_MASKED in disputes_text and NAME_MASKED in disputes_text
    assert "张**与邻居李*因排水沟堵塞" in disputes_text  # the names inside the summary too
    assert "个人信息已作脱敏处理" in disputes_text
    hotline_text = flat(pdf_text(ledger_pdf(ctx, "hotline")))
    assert CALLER_FULL not in hotline_text and CALLER_PHONE not in hotline_text
    assert "欧阳**" in hotline_text and "139****5678" in hotline_text and "匿名" in hotline_text


def test_unmasked_ledger_for_an_admin_is_complete_and_audited(seeded):
    ctx, _ids = seeded
    before = len(audit.entries(ctx.conn, action=data.UNMASKED_ACTION))
    text = flat(pdf_text(ledger_pdf(ctx, "disputes", unmasked=True)))
    assert ID_FULL in text and PHONE_FULL in text and NAME_FULL in text
    assert "含完整个人信息，注意保密" in text
    entries = audit.entries(ctx.conn, action=data.UNMASKED_ACTION)
    assert len(entries) == before + 1
    assert entries[0]["user"] == ctx.user and entries[0]["table_name"] == "disputes"
    assert entries[0]["changes"]["document"] == [None, "都督村2024年5月矛盾纠纷排查调处台账"]
    assert audit.verify_chain(ctx.conn) == []


def test_unmasked_is_refused_for_a_clerk_and_nothing_is_audited(seeded, tmp_path):
    ctx, _ids = seeded
    ctx.role = Role.CLERK
    before = len(audit.entries(ctx.conn, action=data.UNMASKED_ACTION))
    with pytest.raises(Refused, match="无权打印或导出完整个人信息"):
        documents.write_ledger(ctx, tmp_path / "x.xlsx", register="disputes", month="2024-05", unmasked=True)
    assert not (tmp_path / "x.xlsx").exists()
    assert len(audit.entries(ctx.conn, action=data.UNMASKED_ACTION)) == before
    ledger_pdf(ctx, "disputes")  # masked is fine


def test_trainings_and_publicity_totals(seeded):
    ctx, _ids = seeded
    text = flat(pdf_text(ledger_pdf(ctx, "trainings")))
    assert "都督村2024年5月法治培训（学法）台账" in text
    assert "《民法典》婚姻家庭编学习" in text and "共1次" in text
    assert "1.5" in text and "66.7%" in text  # hours, attendance rate 2/3
    pub = flat(pdf_text(ledger_pdf(ctx, "publicity")))
    assert "都督村2024年5月法治宣传活动台账" in pub and "2345" in pub and "120" in pub


def test_page_numbers_match_the_page_count_and_header_repeats(seeded):
    ctx, _ids = seeded
    for i in range(40):
        hotline.create_call(
            ctx,
            {
                "called_at": f"2024-05-{i % 28 + 1:02d} 10:{i:02d}",
                "channel": "电话",
                "caller_name": f"王{i}",
                "category": "其他",
                "question": f"问题{i}" * 8,
            },
        )
    pdf = ledger_pdf(ctx, "hotline")
    pages = len(reader(pdf).pages)
    assert pages >= 2
    assert page_numbers(pdf) == [(n, pages) for n in range(1, pages + 1)]
    for page in reader(pdf).pages:
        assert "解答及处理情况" in page.extract_text()  # the header on every page
    text = flat(pdf_text(pdf))
    assert all(f"问题{i}问题{i}" in text for i in range(40))
    assert "共42件（电话41、来访1）" in text


def test_township_ledger_has_a_village_column_and_a_village_ledger_not(township_ctx):
    demo.generate(township_ctx, year=2024, villages=3, seed=2)
    whole = data.ledger(township_ctx, "disputes", month="2024-05")
    assert whole.columns[1].key == "village"
    code = site.villages(township_ctx.conn)[0]["code"]
    one = data.ledger(township_ctx, "disputes", month="2024-05", village=code)
    assert "village" not in [c.key for c in one.columns]
    assert len(whole.rows) >= len(one.rows)
    assert one.title.startswith("都督村2024年5月")


def test_same_bytes_twice(seeded):
    ctx, _ids = seeded
    assert ledger_pdf(ctx, "disputes") == ledger_pdf(ctx, "disputes")


def test_bad_month_register_and_extension_are_refused(seeded, tmp_path):
    ctx, _ids = seeded
    with pytest.raises(Refused, match="2024-05"):
        data.ledger(ctx, "disputes", month="2024-13")
    with pytest.raises(Refused):
        data.ledger(ctx, "nonsense", month="2024-05")
    with pytest.raises(Refused, match=".pdf"):
        documents.write_ledger(ctx, tmp_path / "x.doc", register="disputes", month="2024-05")


def test_xlsx_export_text_cells_title_and_frozen_header(seeded, tmp_path):
    ctx, _ids = seeded
    path = tmp_path / "ledger.xlsx"
    documents.write_ledger(ctx, path, register="disputes", month="2024-05", unmasked=True)
    ws = load_workbook(path).active
    assert ws["A1"].value == "都督村2024年5月矛盾纠纷排查调处台账"
    assert ws["A2"].value.startswith("填报单位：都督村")  # the subtitle row (issue 13), then the header
    headers = [c.value.replace("\n", "") for c in ws[3]]
    assert headers[:3] == ["序号", "案件编号", "登记日期"] and "身份证号" in headers
    assert ws.freeze_panes == "A4"
    id_col = headers.index("身份证号") + 1
    cell = ws.cell(4, id_col)
    assert cell.value.split("\n")[0] == ID_FULL and cell.data_type == "s" and cell.number_format == "@"
    phone_cell = ws.cell(4, headers.index("联系电话") + 1)
    assert phone_cell.value.startswith(PHONE_FULL) and phone_cell.number_format == "@"
    amount = ws.cell(4, headers.index("协议金额（元）") + 1).value
    assert float(amount) == 10000  # a number, not text
    totals_row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert totals_row == 4 + 3  # after the three disputes of May; the signature lines follow
    assert ws.column_dimensions["A"].width > 0


def test_masked_xlsx_has_masked_ids(seeded, tmp_path):
    ctx, _ids = seeded
    path = tmp_path / "ledger.xlsx"
    documents.write_ledger(ctx, path, register="disputes", month="2024-05")
    values = [str(c.value) for row in load_workbook(path).active.iter_rows() for c in row if c.value]
    joined = "".join(values)
    assert ID_FULL not in joined and PHONE_FULL not in joined and NAME_FULL not in joined
    assert ID_MASKED in joined


def test_csv_export_has_bom_and_neutralised_formulas(seeded, tmp_path):
    ctx, _ids = seeded
    path = tmp_path / "ledger.csv"
    documents.write_ledger(ctx, path, register="disputes", month="2024-05")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "序号,案件编号" in text.splitlines()[0]
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text
    assert ID_FULL not in text and ID_MASKED in text


def test_column_widths_fill_the_page_and_short_columns_do_not_wrap(seeded):
    ctx, _ids = seeded
    ledger = data.ledger(ctx, "disputes", month="2024-05").printed()
    size = ledgers.font_size(ledger)
    widths = ledgers.column_widths(ledger, size=size)
    assert sum(widths) == pytest.approx(ledgers.LEDGER_FRAME_WIDTH)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for i, col in enumerate(ledger.columns):
        if col.key in ("serial_no", "registered_on", "amount", "concluded_on"):
            widest = max(stringWidth(ledgers.cell_text(r[i], col.kind), "FANG", size) for r in ledger.rows)
            assert widest + ledgers._pad(size) <= widths[i] + 0.01, col.key


def test_filler_is_the_users_display_name(tmp_path):
    from dudu_desktop.services import users

    c = new_context(tmp_path / "u.sqlite3", user="admin", clock_at=dt.datetime(2024, 5, 1, 9, 0))
    users.create_user(c, "admin", "a-long-password-1", Role.ADMIN, display_name="冉光明")
    ledger = data.ledger(c, "disputes", month="2024-04")
    assert ledger.signature == {"填表人": "冉光明", "审核人": "", "填报日期": ""}
    c.conn.close()


def test_documents_stay_chinese_with_an_english_interface(seeded):
    from dudu_desktop.i18n import set_locale

    ctx, _ids = seeded
    set_locale("en")
    try:
        ledger = data.ledger(ctx, "disputes", month="2024-05")
        assert ledger.title == "都督村2024年5月矛盾纠纷排查调处台账"
        assert ledger.headers[:2] == ["序号", "案件编号"]
    finally:
        set_locale("zh_CN")
