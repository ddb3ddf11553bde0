"""The dossier (卷宗) of a dispute (issue 16): cover, 卷内目录 whose page numbers point at the pages
they name, then the register form, the mediation record, the agreement, the follow-ups and every
attachment (pictures fitted to a page, PDFs page by page), every page numbered "第 X 页"."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from dudu_desktop.cli import main
from dudu_desktop.services import attachments, disputes
from tests.test_attachments import jpeg, pdf

DISPUTE = {
    "registered_on": "2024-12-01",
    "dispute_type": "邻里",
    "summary": "王德明与李四因排水沟争吵",
    "source": "主动排查",
    "method": "人民调解",
    "mediator": "王调解",
}


@pytest.fixture
def case(ctx):
    d = disputes.create_dispute(
        ctx, DISPUTE, [{"role": "申请人", "name": "王德明"}, {"role": "被申请人", "name": "李四"}]
    )
    disputes.start_mediation(ctx, d)
    disputes.conclude(
        ctx, d, result="调解成功", concluded_on="2024-12-10", amount="500", agreement_terms="李四于12月15日前疏通排水沟"
    )
    disputes.record_followup(
        ctx, d, {"visited_on": "2024-12-18", "performance": "已履行", "satisfaction": "满意", "visitor": "王调解"}
    )
    attachments.add(ctx, "disputes", d, [("协议书扫描.pdf", pdf(3))], kind="签字协议书", caption="双方签字")
    attachments.add(ctx, "disputes", d, [("现场.jpg", jpeg(300, 200))], caption="排水沟现场")
    attachments.add(ctx, "disputes", d, [("竖.jpg", jpeg(200, 300, color=(0, 90, 0)))], kind="签到表")
    return d


def text_of(page) -> str:
    return re.sub(r"\s+", "", page.extract_text() or "")


def test_dossier_pages_and_contents_match(ctx, case, tmp_path, capsys):
    db = ctx.conn.execute("PRAGMA database_list").fetchone()[2]
    serial = ctx.conn.execute("SELECT serial_no FROM disputes WHERE id = ?", (case,)).fetchone()[0]
    out = tmp_path / "卷宗.pdf"
    code = main(["--db", db, "report", "dossier", "--dispute", serial, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    pages = [text_of(p) for p in reader.pages]
    # cover, contents, register form, mediation record, agreement (1+), follow-ups, 3 + 1 + 1 attachments
    assert len(pages) >= 10
    for n, text in enumerate(pages, start=1):
        assert f"第{n}页" in text, (n, text[:80])
    cover = pages[0]
    for label in (
        "案号",
        "案由/纠纷类型",
        "当事人",
        "调解员",
        "受理日期",
        "结案日期",
        "调解结果",
        "立卷人",
        "立卷日期",
        "保管期限",
        "调解成功",
        "2024年12月1日",
        "长期",
    ):
        assert label in cover, label
    assert "王德明" not in cover and "王**" in cover  # masked by default
    assert "卷内目录" in pages[1]
    toc = reader.pages[1].extract_text()
    entries = re.findall(r"^(\d+)\s+(\S.*?)\s+(\d+)(?:–(\d+))?\s*$", toc, re.M)
    titles = [e[1].replace(" ", "") for e in entries]
    assert titles[:4] == ["人民调解登记表", "调解记录", "人民调解协议书", "回访记录"]
    assert len(entries) == 7 and titles[4].startswith("附件1：签字协议书")
    expected = {
        "人民调解登记表": "人民调解登记表",
        "调解记录": "调解记录",
        "人民调解协议书": "人民调解协议书",
        "回访记录": "回访记录",
    }
    previous_end = 2
    for _n, title, first, last in entries:
        first, last = int(first), int(last or first)
        assert first == previous_end + 1  # no gap, no overlap, in order
        previous_end = last
        target = pages[first - 1]
        marker = expected.get(title.replace(" ", ""))
        if marker:
            assert marker in target, (title, target[:60])
        elif "签字协议书" in title:
            assert "page1" in target and last - first == 2 and "page3" in pages[last - 1]  # the scan, page by page
        else:
            assert title.replace(" ", "").split("（")[0] in target
    assert previous_end == len(pages)
    assert "李四于12月15日前疏通排水沟" in "".join(pages) or "李*于12月15日前疏通排水沟" in "".join(pages)
    assert "开始调解" in pages[3] and "调解结案" in pages[3]
