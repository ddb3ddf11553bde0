"""The mediation agreement, sign-in sheets, the annual report (its figures equal the
statistics) and the ``report`` command line."""

from __future__ import annotations

import json
import re

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.i18n import format_percent
from dudu_desktop.reports import annual, data, documents
from dudu_desktop.reports.agreement import agreement_number, short_unit_name
from dudu_desktop.reports.documents import AGREEMENT, ANNUAL, SIGNIN, DocumentRequest
from dudu_desktop.services import audit, demo, report_texts, stats
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


def pdf(ctx, kind, **params) -> bytes:
    return documents.pdf_bytes(ctx, DocumentRequest(kind, params))[0]


# ---------------------------------------------------------------- agreement


def test_agreement_number():
    assert agreement_number("2024-001", "2024-05-06", "都督村") == "（2024）都督调字第001号"
    assert agreement_number("", "2024-05-06", "石院社区") == "（2024）石院调字第号"
    assert short_unit_name("都督乡") == "都督"


def test_agreement_has_the_fields_of_article_29(seeded):
    ctx, ids = seeded
    content = pdf(ctx, AGREEMENT, dispute_id=ids["settled"])
    text = flat(pdf_text(content))
    for expected in (
        "人民调解协议书",
        "编号：（2024）都督调字第001号",
        "申请人",
        NAME_MASKED,
        "男",
        "汉族",
        "74",
        "都督村****",
        PHONE_MASKED,
        ID_MASKED,  # masked (issue 11)
        "被申请人",
        "李*",
        "土家族",
        "45",
        "纠纷主要事实",
        "张**与邻居李*因排水沟堵塞发生纠纷",
        "经调解，自愿",
        "李*疏通排水沟并赔偿张**损失。",
        "协议金额：¥10,000.00（大写：人民币壹万元整）",
        "履行方式",
        "协议签订之日起十日内履行完毕。",
        "本协议一式三份，当事人、人民调解委员会各持一份。",
        "当事人（申请人）签名",
        "当事人（被申请人）签名",
        "人民调解员签名",
        "记录人签名",
        "都督村人民调解委员会（印章）",
        "2024年5月10日",
    ):
        assert expected in text, expected
    assert ID_FULL not in text and "草稿" not in text
    assert NAME_FULL not in text and PHONE_FULL not in text and "都督村3组12号" not in text
    assert_fonts_embedded(content)
    assert content == pdf(ctx, AGREEMENT, dispute_id=ids["settled"])


def test_agreement_full_id_needs_the_permission_and_is_audited(seeded):
    ctx, ids = seeded
    text = flat(pdf_text(pdf(ctx, AGREEMENT, dispute_id=ids["settled"], unmasked=True)))
    assert ID_FULL in text and NAME_FULL in text and PHONE_FULL in text and "都督村3组12号" in text
    assert "张三丰与邻居李四因排水沟堵塞发生纠纷" in text and "李四疏通排水沟并赔偿张三丰损失。" in text
    entry = audit.entries(ctx.conn, action=data.UNMASKED_ACTION)[0]
    assert entry["record_id"] == ids["settled"] and entry["table_name"] == "disputes"
    ctx.role = Role.CLERK
    with pytest.raises(Refused):
        pdf(ctx, AGREEMENT, dispute_id=ids["settled"], unmasked=True)
    assert ID_MASKED in flat(pdf_text(pdf(ctx, AGREEMENT, dispute_id=ids["settled"])))


def test_agreement_only_for_a_successful_case_or_as_a_draft(seeded):
    ctx, ids = seeded
    with pytest.raises(Refused, match="调解不成"):
        pdf(ctx, AGREEMENT, dispute_id=ids["failed"])
    with pytest.raises(Refused, match="草稿"):
        pdf(ctx, AGREEMENT, dispute_id=ids["open"])
    draft = pdf(ctx, AGREEMENT, dispute_id=ids["open"], draft=True)
    text = flat(pdf_text(draft))
    assert "人民调解协议书（草稿）" in text and "王*" in text and "本协议一式三份" in text
    assert "年月日" in text  # the date left blank to fill in


# ---------------------------------------------------------------- sign-in sheets


def test_sign_in_sheet_before_the_session(seeded):
    ctx, ids = seeded
    content = pdf(ctx, SIGNIN, training_id=ids["training"])
    text = flat(pdf_text(content))
    assert "法治培训（学法）签到表" in text and "《民法典》婚姻家庭编学习" in text and "2024年5月15日" in text
    assert "任梅强村支书" in text and "罗涛春村主任" in text and "余玥丽网格员" in text
    assert "签名" in text
    numbers = [int(n) for n in re.findall(r"^\s*(\d+)\s*$", pdf_text(content), re.M)]
    assert max(numbers) >= 3 + 5  # blank numbered rows for walk-ins
    assert "√" not in text and "缺席" not in text
    assert page_numbers(content) == [(1, 1)]


def test_sign_in_sheet_after_the_session(seeded):
    ctx, ids = seeded
    text = flat(pdf_text(pdf(ctx, SIGNIN, training_id=ids["training"], after=True)))
    assert "法治培训（学法）签到情况表" in text
    assert "任梅强村支书√" in text and "92合格" in text and "50不合格" in text
    assert "余玥丽网格员缺席" in text
    assert "应到3人，实到2人，缺席1人，出勤率66.7%" in text
    assert "参加考试2人，合格1人，合格率50%" in text
    assert "填报日期：第1页" in text and "2024年12月20日" not in text  # 填报日期 blank unless given (issue 13)


# ---------------------------------------------------------------- annual report


@pytest.fixture(scope="module")
def township_demo(tmp_path_factory):
    c = new_context(tmp_path_factory.mktemp("annual") / "t.sqlite3", role="township")
    demo.generate(c, year=2024, villages=5, seed=1)
    yield c
    c.conn.close()


def _approx(n: int, unit: str) -> str:
    return f"{n // 100 * 100}余{unit}" if n > 100 and n % 100 else f"{n}{unit}"


@pytest.mark.parametrize("village", [None, "500243104201"])
def test_annual_report_figures_equal_the_statistics(township_demo, village):
    ctx = township_demo
    content = pdf(ctx, ANNUAL, year=2024, village=village)
    text = flat(pdf_text(content))
    s = stats.compute_stats(ctx.conn, year=2024, village=village, today=ctx.today())
    d, t, h, p = s["disputes"], s["trainings"], s["hotline"], s["publicity"]
    assert d["total"] > 0 and d["success_rate"] is not None
    expected = [
        f"2024年度排查调处各类矛盾纠纷{d['total']}件，调解成功率达{format_percent(d['success_rate'])}",
        "、".join(
            part
            for n, part in (
                (p['events'], f"开展各类法治宣传活动{p['events']}次"),
                (p['lectures'], f"举办法律讲座{p['lectures']}次"),
                (h['consultations'], f"接受群众法律咨询{h['consultations']}次"),
                (h['calls'], f"接听群众法律服务热线电话{h['calls']}起"),
            )
            if n
        ),  # zero counts are left out
        f"专项治理{p['campaigns']}次",
        f"专题学习{t['study']}次",
        f"研讨{t['seminars']}场次",
        f"通过率为{format_percent(t['exam_pass_rate'])}",
        f"发放法治宣传册{_approx(p['materials_by_kind']['宣传册'], '册')}",
        f"满意度达到{format_percent(h['satisfaction_rate'])}",
    ]
    for sentence in expected:
        assert sentence in text, sentence
    title = "都督乡2024年度法治政府建设情况报告" if village is None else "都督村2024年度法治建设工作情况报告"
    assert title in text[:40]
    for heading in ("一、2024年度推进", "二、", "第一责任人", "三、存在的问题和不足", "四、下一步"):
        assert heading in text
    assert "2024年度矛盾纠纷月度趋势（按类型）" in text  # the chart's caption
    assert ("都督乡人民政府" if village is None else "都督村村民委员会") in text
    assert "2024年12月20日" in text
    assert "{" not in text  # every field filled in
    assert_fonts_embedded(content)
    numbers = [
        m.group(1) for page in reader(content).pages for m in [re.search(r"—\s*(\d+)\s*—", page.extract_text())] if m
    ]
    assert numbers == [str(n) for n in range(1, len(reader(content).pages) + 1)]


def test_annual_report_same_bytes_twice(township_demo):
    assert pdf(township_demo, ANNUAL, year=2024) == pdf(township_demo, ANNUAL, year=2024)


def test_materials_are_rounded_like_the_source():
    assert annual.approx(2345) == ("2300", True)
    assert annual.approx(2000) == ("2000", False)
    assert annual.approx(87) == ("87", False)
    assert annual.approx(100) == ("100", False)


def test_sentences_without_data():
    empty = stats.compute_stats  # the shape, from an empty database below
    del empty
    figures = {
        "disputes": {"total": 0, "success_rate": None},
        "trainings": {"study": 0, "seminars": 0, "exam_pass_rate": None, "by_type": {}},
        "hotline": {"consultations": 0, "calls": 0, "satisfaction_rate": None},
        "publicity": {"events": 0, "lectures": 0, "campaigns": 0, "materials": 0, "materials_by_kind": {}},
    }
    out = annual.sentences(figures, 2024)
    assert set(out.values()) == {""}  # nothing to claim: no "0件", "0份"
    said = annual.negatives(2024)
    assert said["矛盾纠纷"] == "本年度未排查调处矛盾纠纷"
    assert said["普法考试"] == "本年度暂无考试成绩记录"
    assert said["宣传资料"] == "本年度未发放法治宣传资料"


def test_narrative_texts_are_kept_per_year_and_unit(seeded):
    ctx, _ids = seeded
    template = report_texts.get_texts(ctx.conn, 2024)
    assert "{矛盾纠纷}" in template["measures"] and "{纠纷趋势图}" in template["measures"]
    report_texts.save_texts(
        ctx,
        2024,
        None,
        {
            "problems": "一是村里的问题写在这里。",
            "measures": "（一）我们的举措\n今年{矛盾纠纷}，{未知字段}保持原样。\n{纠纷趋势图}",
        },
    )
    assert report_texts.get_texts(ctx.conn, 2024)["problems"] == "一是村里的问题写在这里。"
    assert report_texts.get_texts(ctx.conn, 2023)["problems"] == report_texts.default_texts(ctx.conn, 2023)["problems"]
    text = flat(pdf_text(pdf(ctx, ANNUAL, year=2024)))
    assert "一是村里的问题写在这里。" in text
    assert "（一）我们的举措" in text
    assert "今年2024年度排查调处各类矛盾纠纷4件，调解成功率达50%，{未知字段}保持原样。" in text
    assert audit.entries(ctx.conn, action="set_setting")[0]["record_id"] == "report_texts/2024/500243104201"
    ctx.role = Role.VIEWER
    with pytest.raises(Refused):
        report_texts.save_texts(ctx, 2024, None, {"problems": "x"})
    ctx.role = Role.ADMIN
    with pytest.raises(Refused, match="过长"):
        report_texts.save_texts(ctx, 2024, None, {"problems": "字" * 20001})
    report_texts.reset_texts(ctx, 2024)
    assert report_texts.get_texts(ctx.conn, 2024) == template


# ---------------------------------------------------------------- command line


def spreadsheet_cells(path) -> set[str]:
    """Every non-empty cell of a ledger written as .xlsx or .csv, as text."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        return {
            str(v).strip()
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v not in (None, "")
        }
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:  # ="0123": a number kept as text
        return {re.sub(r'^="(.*)"$', r"\1", c.strip()) for row in csv.reader(handle) for c in row if c.strip()}


def test_cli_report_commands(seeded, db_path, tmp_path, capsys):
    ctx, ids = seeded
    db = ["--db", str(db_path)]
    out = tmp_path / "l.pdf"
    assert main(db + ["report", "ledger", "--register", "disputes", "--month", "2024-05", "--out", str(out)]) == 0
    assert "都督村2024年5月矛盾纠纷排查调处台账" in pdf_text(out.read_bytes())
    for ext in ("xlsx", "csv"):
        target = tmp_path / f"l.{ext}"
        assert (
            main(
                db
                + [
                    "report",
                    "ledger",
                    "--register",
                    "hotline",
                    "--month",
                    "2024-05",
                    "--out",
                    str(target),
                    "--unmasked",
                ]
            )
            == 0
        )
        cells = spreadsheet_cells(target)
        # the May calls, unmasked as asked: the named caller with her number, and the anonymous visit
        assert {CALLER_FULL, CALLER_PHONE, "欧阳娜娜询问被拖欠工资怎么办？", "遗嘱需要公证吗？"} <= cells, (ext, cells)
        assert not any("****" in c for c in cells), ext
    assert main(db + ["report", "agreement", "--dispute", ids["settled"], "--out", str(tmp_path / "a.pdf")]) == 0
    agreement = flat(pdf_text((tmp_path / "a.pdf").read_bytes()))
    assert agreement.startswith("人民调解协议书编号：（2024）都督调字第001号申请人张**")
    assert PHONE_MASKED in agreement and PHONE_FULL not in agreement and "2024年5月10日" in agreement
    assert (
        main(db + ["report", "signin", "--training", ids["training"], "--out", str(tmp_path / "s.pdf"), "--after"]) == 0
    )
    signin = flat(pdf_text((tmp_path / "s.pdf").read_bytes()))
    assert "《民法典》婚姻家庭编学习" in signin
    assert all(name in signin for name in ("任梅强", "罗涛春", "余玥丽"))
    assert main(db + ["report", "annual", "--year", "2024", "--out", str(tmp_path / "r.pdf")]) == 0
    assert "都督村2024年度法治建设工作情况报告" in pdf_text((tmp_path / "r.pdf").read_bytes())
    capsys.readouterr()
    assert main(db + ["report", "agreement", "--dispute", ids["failed"], "--out", str(tmp_path / "b.pdf")]) == 1
    assert "没有可打印的调解协议书" in capsys.readouterr().err
    assert not (tmp_path / "b.pdf").exists()
    assert (
        main(db + ["report", "ledger", "--register", "disputes", "--month", "May", "--out", str(tmp_path / "m.pdf")])
        == 1
    )
    texts_file = tmp_path / "t.json"
    texts_file.write_text(json.dumps({"problems": "新的问题。"}, ensure_ascii=False), encoding="utf-8")
    assert main(db + ["report", "texts", "--year", "2024", "--set", str(texts_file)]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == "新的问题。"
    texts_file.write_text(json.dumps({"bogus": "x"}), encoding="utf-8")
    assert main(db + ["report", "texts", "--year", "2024", "--set", str(texts_file)]) == 1
