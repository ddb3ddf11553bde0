"""Issue 13, ledgers: an empty month's 零报告 line, 填报日期 left blank unless given, the
attendance record's 签到时间 (the session's date), and the dispute ledger's 备注 and short
调处情况 — each read back from the produced PDF, .xlsx and .csv, through the command line."""

from __future__ import annotations

import csv
import re

import pdfplumber
import pytest
from openpyxl import load_workbook

from dudu_desktop.cli import main
from dudu_desktop.services import disputes
from reports_support import flat, pdf_text, seed

EMPTY = {
    "disputes": "本月无矛盾纠纷（零报告）",
    "trainings": "本月无法治培训（零报告）",
    "hotline": "本月无法律咨询（零报告）",
    "publicity": "本月无法治宣传活动（零报告）",
}


def report(db, *args) -> int:
    return main(["--db", str(db), "report", *[str(a) for a in args]])


def csv_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def seeded(ctx, db_path):
    ids = seed(ctx)
    return ctx, db_path, ids


@pytest.mark.parametrize("register", sorted(EMPTY))
def test_an_empty_month_says_so_instead_of_a_totals_row_of_zeros(seeded, tmp_path, register):
    _ctx, db, _ids = seeded
    for ext in ("pdf", "xlsx", "csv"):
        assert report(db, "ledger", "--register", register, "--month", "2024-03", "--out", tmp_path / f"x.{ext}") == 0
    text = flat(pdf_text((tmp_path / "x.pdf").read_bytes()))
    assert EMPTY[register] in text
    assert "合计" not in text and "共0" not in text
    assert "第1页共1页" in text and "填表人" in text
    ws = load_workbook(tmp_path / "x.xlsx").active
    cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
    note = [k for k, v in cells.items() if v == EMPTY[register]]
    assert note == ["A4"]  # under the header row, merged across the table
    assert any(str(r).startswith("A4:") for r in ws.merged_cells.ranges)
    assert "合计" not in cells.values()
    rows = csv_rows(tmp_path / "x.csv")
    assert rows[1][0] == EMPTY[register] and len(rows) == 2 and "合计" not in sum(rows, [])


def test_a_month_with_records_keeps_its_totals_row(seeded, tmp_path):
    _ctx, db, _ids = seeded
    assert report(db, "ledger", "--register", "disputes", "--month", "2024-05", "--out", tmp_path / "x.pdf") == 0
    text = flat(pdf_text((tmp_path / "x.pdf").read_bytes()))
    assert "合计" in text and "零报告" not in text


def test_filled_on_is_blank_unless_given(seeded, tmp_path):
    _ctx, db, _ids = seeded
    out = tmp_path / "x.pdf"
    assert report(db, "ledger", "--register", "trainings", "--month", "2024-05", "--out", out) == 0
    text = pdf_text(out.read_bytes())
    line = next(t for t in text.splitlines() if "填报日期" in t)
    assert re.fullmatch(r"\s*填报日期：\s*", line), line  # a blank rule to write on
    assert not re.search(r"20\d\d年\d+月\d+日", text.split("填表人")[-1])
    assert (
        report(db, "ledger", "--register", "trainings", "--month", "2024-05", "--date", "2024-06-03", "--out", out) == 0
    )
    assert "填报日期：2024年6月3日" in flat(pdf_text(out.read_bytes()))
    xlsx = tmp_path / "x.xlsx"
    assert (
        report(db, "ledger", "--register", "trainings", "--month", "2024-05", "--date", "2024-06-03", "--out", xlsx)
        == 0
    )
    values = [c.value for row in load_workbook(xlsx).active.iter_rows() for c in row if c.value]
    assert "填报日期：2024年6月3日" in values


def test_a_bad_filled_on_date_is_refused(seeded, tmp_path, capsys):
    _ctx, db, _ids = seeded
    assert (
        report(
            db,
            "ledger",
            "--register",
            "trainings",
            "--month",
            "2024-05",
            "--date",
            "2024-13-01",
            "--out",
            tmp_path / "x.pdf",
        )
        == 1
    )
    assert "填报日期" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_attendance_record_shows_the_sessions_date_not_the_day_ticks_were_entered(seeded, tmp_path):
    _ctx, db, ids = seeded  # the session was on 2024-05-15; the ticks were typed in on 2024-12-20
    out = tmp_path / "after.pdf"
    assert report(db, "signin", "--training", ids["training"], "--after", "--out", out) == 0
    with pdfplumber.open(out) as pdf:  # lines as laid out: a table row is one line
        text = "\n".join(page.extract_text() for page in pdf.pages)
    rows = [t for t in text.splitlines() if t.split() and t.split()[0] in ("1", "2", "3")]
    assert len(rows) == 3
    assert "2024年5月15日" in flat(rows[0]) and "2024年5月15日" in flat(rows[1])  # present: the session's date
    assert "2024年" not in rows[2] and "缺席" in rows[2]  # absent: nothing
    assert "12月20日" not in text and "12-20" not in text
    line = next(t for t in text.splitlines() if "填报日期" in t)
    assert re.fullmatch(r".*填报日期：\s*", line)  # blank unless given
    assert report(db, "signin", "--training", ids["training"], "--after", "--date", "2024-05-16", "--out", out) == 0
    assert "填报日期：2024年5月16日" in flat(pdf_text(out.read_bytes()))


TERMS = "李四于2024年6月30日前疏通排水沟并清理淤泥，赔偿张三丰菜地损失人民币一万元，双方今后互不追究。"


@pytest.fixture
def with_notes(seeded):
    ctx, db, ids = seeded
    ids["noted"] = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-05-02",
            "dispute_type": "邻里",
            "source": "主动排查",
            "summary": "菜地被淹。",
            "notes": "已回访，张三丰表示满意",
        },
        [{"role": "申请人", "name": "张三丰"}, {"role": "被申请人", "name": "李四"}],
    )
    disputes.start_mediation(ctx, ids["noted"], method="人民调解")
    disputes.conclude(ctx, ids["noted"], result="调解成功", concluded_on="2024-05-09", agreement_terms=TERMS)
    disputes.update_dispute(ctx, ids["open"], {"notes": "等待双方补充材料"})
    return ctx, db, ids


def test_dispute_ledger_has_notes_and_a_short_outcome_in_pdf_xlsx_and_csv(with_notes, tmp_path):
    _ctx, db, _ids = with_notes
    for ext in ("pdf", "xlsx", "csv"):
        assert report(db, "ledger", "--register", "disputes", "--month", "2024-05", "--out", tmp_path / f"d.{ext}") == 0
    text = flat(pdf_text((tmp_path / "d.pdf").read_bytes()))
    assert "调处情况" in text and "备注" in text
    assert "调解成功，达成协议：李*于2024年6月30日前疏通排水沟并清理淤泥" in text
    assert "互不追究" not in text  # a summary, not the whole agreement
    assert "已回访，张**表示满意" in text and "等待双方补充材料" in text  # 备注, names masked
    assert "待调处" in text and "调解不成" in text
    ws = load_workbook(tmp_path / "d.xlsx").active
    headers = [c.value.replace("\n", "") for c in ws[3]]
    assert headers[-1] == "备注" and "调处情况" in headers
    outcome = ws.cell(4, headers.index("调处情况") + 1).value  # the case of 2 May comes first
    assert outcome.startswith("调解成功，达成协议：李*于2024年6月30日前") and outcome.endswith("…")
    assert ws.cell(4, len(headers)).value == "已回访，张**表示满意"
    rows = csv_rows(tmp_path / "d.csv")
    notes = {r[1]: r[-1] for r in rows[1:]}
    assert rows[0][-1] == "备注" and rows[1][-1] == "已回访，张**表示满意" and "等待双方补充材料" in notes.values()
    assert rows[1][rows[0].index("调处情况")] == outcome
