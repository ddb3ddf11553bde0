"""Issue 13, 人民调解协议书 over several pages: pages after the first repeat the 编号 at their
head, and the closing clauses, every signature line and the committee's seal stay together on
the last page whatever the length of the terms. Read back from the PDF (pypdf)."""

from __future__ import annotations

import pytest

from dudu_desktop.cli import main
from dudu_desktop.reports.documents import AGREEMENT, DocumentRequest, pdf_bytes
from dudu_desktop.services import disputes
from reports_support import flat, reader

NUMBER = "编号：（2024）都督调字第001号"
CLOSING = (
    "本协议一式三份",
    "当事人（申请人）签名",
    "当事人（被申请人）签名",
    "人民调解员签名",
    "记录人签名",
    "都督村人民调解委员会（印章）",
)


def concluded(ctx, clauses: int) -> str:
    terms = "".join(
        f"{n}．李四于2024年6月{n % 28 + 1}日前修复排水沟第{n}段，并清理沟内淤泥。\n" for n in range(1, clauses + 1)
    )
    dispute = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-05-06",
            "dispute_type": "邻里",
            "source": "当事人申请",
            "mediator": "冉光明",
            "summary": "张三与邻居李四因排水沟堵塞发生纠纷。",
        },
        [{"role": "申请人", "name": "张三"}, {"role": "被申请人", "name": "李四"}],
    )
    disputes.start_mediation(ctx, dispute, method="人民调解")
    disputes.conclude(
        ctx,
        dispute,
        result="调解成功",
        concluded_on="2024-05-10",
        agreement_terms=terms,
        performance_terms="协议签订之日起三十日内履行完毕。",
    )
    return dispute


def page_texts(content: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in reader(content).pages]


def test_continuation_pages_repeat_the_number(ctx, db_path, tmp_path):
    dispute = concluded(ctx, 40)
    out = tmp_path / "a.pdf"
    assert main(["--db", str(db_path), "report", "agreement", "--dispute", dispute, "--out", str(out)]) == 0
    pages = page_texts(out.read_bytes())
    assert len(pages) >= 2
    for n, text in enumerate(pages, 1):
        assert text.count(NUMBER) == 1, n  # under the title on page 1, at the head of the others
    draft = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-05-07", "dispute_type": "邻里", "source": "当事人申请", "summary": "长" * 3000},
        [{"role": "申请人", "name": "王五"}],
    )
    content, count = pdf_bytes(ctx, DocumentRequest(AGREEMENT, {"dispute_id": draft, "draft": True}))
    assert count >= 2 and all("编号：（2024）都督调字第002号" in t for t in page_texts(content))


@pytest.mark.parametrize("clauses", range(6, 30, 2))
def test_closing_clauses_signatures_and_seal_stay_together_on_the_last_page(ctx, clauses):
    dispute = concluded(ctx, clauses)
    content, count = pdf_bytes(ctx, DocumentRequest(AGREEMENT, {"dispute_id": dispute}))
    pages = page_texts(content)
    assert len(pages) == count
    for part in CLOSING:
        assert part in pages[-1], (clauses, part)
        assert all(part not in p for p in pages[:-1]), (clauses, part)
    assert pages[-1].index("本协议一式三份") < pages[-1].index("人民调解员签名") < pages[-1].index("（印章）")


def long_terms(length: int = 3000) -> str:
    """``length`` characters of numbered clauses, each clause different (its number)."""
    text, n = "", 0
    while len(text) < length:
        n += 1
        text += f"第{n}条：王五于2024年6月{n % 28 + 1}日前修复排水沟第{n}段并清理沟内淤泥，赵六予以配合。"
    return text[:length]


@pytest.mark.parametrize("summary_chars", [20, 150, 300, 450])
def test_long_terms_split_across_pages_and_fill_page_one(ctx, db_path, tmp_path, summary_chars):
    """Issue 13: the agreed terms box goes on over the page break at any line, so page 1 is
    filled to its bottom margin; the part on a later page says 经调解，自愿达成协议如下（续）;
    every character of the terms is printed once (pdfplumber characters, read back)."""
    pdfplumber = pytest.importorskip("pdfplumber")
    import io

    from dudu_desktop.reports.layout import FORM_MARGINS, FORM_PAGE

    terms = long_terms()
    dispute = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-05-06",
            "dispute_type": "邻里",
            "source": "当事人申请",
            "mediator": "冉光明",
            "summary": ("张三与邻居李四因排水沟堵塞发生纠纷。" * 60)[:summary_chars],
        },
        [{"role": "申请人", "name": "张三"}, {"role": "被申请人", "name": "李四"}],
    )
    disputes.start_mediation(ctx, dispute, method="人民调解")
    disputes.conclude(
        ctx,
        dispute,
        result="调解成功",
        concluded_on="2024-05-10",
        agreement_terms=terms,
        performance_terms="协议签订之日起三十日内履行完毕。",
    )
    out = tmp_path / "long.pdf"
    assert main(["--db", str(db_path), "report", "agreement", "--dispute", dispute, "--out", str(out)]) == 0
    frame_bottom = FORM_PAGE[1] - FORM_MARGINS[3]  # pdfplumber measures from the top of the page
    value_left = FORM_MARGINS[0] + 35 * 72 / 25.4  # the box's text column
    printed, pages = [], page_texts(out.read_bytes())
    with pdfplumber.open(io.BytesIO(out.read_bytes())) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            column = page.crop((value_left, 70, page.width, frame_bottom))  # no running head, no footer
            lines = column.extract_text_lines()
            printed += lines
            if number == 1:
                last = max(line["bottom"] for line in lines)
                # the last text line on page 1 ends within one line (16.8 pt) and the cell's
                # padding and rule of the type area's bottom edge
                assert frame_bottom - last < 16.8 + 5 + 2, (summary_chars, frame_bottom - last)
    assert len(pages) >= 3
    assert "经调解，自愿达成协议如下" in pages[0] and "续" not in pages[0]
    assert "经调解，自愿达成协议如下（续）" in pages[1]  # the label, then （续） on its own line
    body = "".join(line["text"] for line in printed)  # the text column of every page, in order
    assert body.count(terms) == 1, summary_chars
    for n in range(1, terms.count("条：") + 1):  # and no line of it twice (at a page break)
        assert body.count(f"第{n}条：") == 1, (summary_chars, n)
