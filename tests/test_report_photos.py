"""Photos in the reports (issue 16): ``report annual --photos`` adds 附件：活动照片 after the body (the
附件说明 under the text, the 附件 pages after the signature, page numbers running on), one photo
per publicity event captioned with its date and place; ``report ledger --register publicity
--photos`` puts them after the table. The photo of an event is the one chosen (用于报告), else its
first 现场照片; a voided choice falls back."""

from __future__ import annotations

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import attachments, publicity
from tests.test_attachments import jpeg, pdf

pdfplumber = pytest.importorskip("pdfplumber")

EVENTS = (
    ("2024-03-05", "民法典进农家", "赶集日咨询台", "都督场镇"),
    ("2024-12-04", "12·4宪法宣传周", "悬挂横幅", "都督村文化广场"),
    ("2024-12-10", "没有照片的活动", "其他", "三组"),
)


@pytest.fixture
def events(ctx):
    ids = []
    for day, theme, form, place in EVENTS:
        ids.append(publicity.create_event(ctx, {"held_on": day, "theme": theme, "form": form, "location": place}))
    # the first two have a signed sheet (not a photo for the report) and a 现场照片; the third a scan only
    for i, eid in enumerate(ids[:2]):
        attachments.add(ctx, "publicity_events", eid, [("sheet.jpg", jpeg(300, 400, (200, 200, 200)))], kind="签到表")
        attachments.add(ctx, "publicity_events", eid, [("stall.jpg", jpeg(800, 600, (40 + i, 90, 160)))])
    attachments.add(ctx, "publicity_events", ids[2], [("scan.pdf", pdf(1))], kind="现场照片")
    return ids


def db_of(ctx) -> str:
    return ctx.conn.execute("PRAGMA database_list").fetchone()[2]


def pages_text(path) -> list[tuple[str, int]]:
    with pdfplumber.open(path) as doc:
        return [((page.extract_text() or "").replace(" ", ""), len(page.images)) for page in doc.pages]


def test_the_photo_of_an_event_is_the_chosen_one_else_its_first_field_photo(ctx, events):
    first, second, third = events
    chosen = attachments.report_photos(ctx.conn, "publicity_events", events)
    assert set(chosen) == {first, second}  # a scan is never a report photo
    assert chosen[first]["kind"] == "现场照片" and chosen[first]["file_name"] == "stall.jpg"
    sheet = attachments.list_for(ctx.conn, "publicity_events", first)[0]
    attachments.choose_report_photo(ctx, sheet["id"])  # the signed sheet, chosen on purpose
    assert attachments.report_photo(ctx.conn, "publicity_events", first)["id"] == sheet["id"]
    attachments.void(ctx, sheet["id"], "拍糊了")
    assert attachments.report_photo(ctx.conn, "publicity_events", first)["file_name"] == "stall.jpg"
    scan = attachments.list_for(ctx.conn, "publicity_events", third)[0]
    with pytest.raises(Refused, match="扫描件"):
        attachments.choose_report_photo(ctx, scan["id"])


def test_report_annual_photos_adds_the_attachment_after_the_body(ctx, events, tmp_path, capsys):
    plain, with_photos = tmp_path / "plain.pdf", tmp_path / "photos.pdf"
    assert main(["--db", db_of(ctx), "report", "annual", "--year", "2024", "--out", str(plain)]) == 0
    assert main(["--db", db_of(ctx), "report", "annual", "--year", "2024", "--out", str(with_photos), "--photos"]) == 0
    before, after = pages_text(plain), pages_text(with_photos)
    assert all("活动照片" not in text for text, _ in before) and sum(n for _, n in before) == 0
    signed = next(i for i, (text, _) in enumerate(after) if "村民委员会" in text)
    assert "附件：活动照片" in after[signed][0]  # 附件说明 above the signature
    assert signed == len(before) - 1  # the body keeps its pages
    appendix = after[signed + 1 :]
    assert appendix and appendix[0][0].startswith("附件") and "活动照片" in appendix[0][0]
    assert sum(n for _, n in appendix) == 2  # one photo per event that has one
    text = "".join(t for t, _ in appendix)
    assert "2024年3月5日" in text and "都督场镇" in text and "2024年12月4日" in text and "都督村文化广场" in text
    assert "没有照片的活动" not in text
    assert f"—{len(after)}—" in after[-1][0]  # the page numbers run on


def test_report_ledger_publicity_photos_after_the_table(ctx, events, tmp_path):
    out = tmp_path / "ledger.pdf"
    assert (
        main(
            [
                "--db",
                db_of(ctx),
                "report",
                "ledger",
                "--register",
                "publicity",
                "--month",
                "2024-12",
                "--out",
                str(out),
                "--photos",
            ]
        )
        == 0
    )
    pages = pages_text(out)
    assert pages[0][1] == 0 and "活动照片" in pages[-1][0]
    assert sum(n for _, n in pages) == 1  # December: one event with a photo
    assert "2024年12月4日" in pages[-1][0] and f"共{len(pages)}页" in pages[-1][0]
