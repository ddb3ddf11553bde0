"""Print standards measured from the PDFs themselves (issue 13): the annual report's GB/T 9704
grid (28 characters × 22 lines, justified to the 156 mm 版心, punctuation inside it), its
fonts (bundled stand-ins, or the Windows fonts when present), wording that never claims an
activity with a zero count, the 成文日期, rare characters (per-glyph fallback, ToUnicode
beyond the BMP), and Chinese line-breaking rules in every produced PDF.

Character positions come from pdfplumber (pdfminer), which applies the font size and the
horizontal scaling of each glyph."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import Refused
from dudu_desktop.reports import annual, documents
from dudu_desktop.reports.layout import CANNOT_END, CANNOT_START, Heading, Text, build_official_document
from dudu_desktop.services import demo, report_texts, site
from reports_support import new_context, seed

pdfplumber = pytest.importorskip("pdfplumber")

REPO = Path(__file__).resolve().parents[1]
MM = 72 / 25.4
LEFT, RIGHT = 28.0, 184.0  # the 版心's edges, mm from the page's left edge
PITCH = 156 / 28  # mm

BODY = (
    "本年度我乡坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神，全面落实"
    "“八五”普法规划，扎实推进法治政府建设，排查调处各类矛盾纠纷，调解成功率达到百分之九十三，"
    "群众满意度持续提升，基层治理格局日益成熟，法治宣传教育深入人心。"
) * 4


def lines_of(page, *, gap: float | None = None) -> list[list[dict]]:
    """The page's characters in lines (same baseline), left to right; with ``gap`` (pt), a line
    is also cut where two characters are further apart (table cells side by side)."""
    rows = defaultdict(list)
    for c in page.chars:
        rows[round(c["bottom"], 0)].append(c)
    out = []
    for _, chars in sorted(rows.items()):
        chars.sort(key=lambda c: c["x0"])
        current = [chars[0]]
        for c in chars[1:]:
            if gap is not None and c["x0"] - current[-1]["x1"] > gap:
                out.append(current)
                current = []
            current.append(c)
        out.append(current)
    return out


def text_of(line) -> str:
    return "".join(c["text"] for c in line)


def is_page_number(line) -> bool:
    return re.fullmatch(r"—\s*\d+\s*—", text_of(line).replace(" ", "")) is not None


# ---------------------------------------------------------------- the grid


@pytest.fixture(scope="module")
def grid_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "grid.pdf"
    blocks = [Heading(1, "一、主要举措和成效"), Heading(2, "（一）加强组织领导"), Text(BODY * 3)] * 2
    build_official_document(
        path,
        title="都督乡2024年度法治政府建设情况报告",
        blocks=blocks,
        signature_lines=["都督乡人民政府", "2024年12月20日"],
    )
    return path


def test_annual_grid_is_28_characters_by_22_lines_inside_the_type_area(grid_pdf):
    with pdfplumber.open(grid_pdf) as pdf:
        pages = pdf.pages
        assert len(pages) >= 3
        for number, page in enumerate(pages, start=1):
            lines = [line for line in lines_of(page) if not is_page_number(line)]
            if number in (2, 4):  # full pages of text: 22 lines
                assert len(lines) == 22, (number, [text_of(line) for line in lines])
            for line in lines:
                left, right = line[0]["x0"] / MM, line[-1]["x1"] / MM
                assert left >= LEFT - 0.05 and right <= RIGHT + 0.05, (number, text_of(line), left, right)
            body = [
                line for line in lines if line[0]["fontname"].endswith("NotoSerifSC-Regular") and line[0]["size"] > 15
            ]
            for i, line in enumerate(body):
                full = all(ord(c["text"]) > 0x2000 for c in line)
                last = i + 1 < len(body) and abs(body[i + 1][0]["x0"] / MM - (LEFT + 2 * PITCH)) < 0.1
                if full and not last and line[-1]["x1"] / MM > RIGHT - 1:
                    # a justified full line: 28 cells from edge to edge (26 after the indent); one
                    # more character when two marks gave up half their cells for a line-end mark
                    cells = 26 if line[0]["x0"] / MM > LEFT + 1 else 28
                    squeezed = sum(c["text"] in "，。、；：？！）》”’（《“‘" for c in line[:-1])
                    # one fewer when its last character went down with a mark that may not start a line
                    pushed = i + 1 < len(body) and text_of(body[i + 1])[1:2] in CANNOT_START
                    assert (
                        len(line) == cells
                        or (len(line) == cells + 1 and squeezed >= 2)
                        or (len(line) == cells - 1 and pushed)
                    ), text_of(line)
                    assert abs(line[-1]["x1"] / MM - RIGHT) < 0.05
                    assert abs(line[0]["x0"] / MM - LEFT) < 0.05 or abs(line[0]["x0"] / MM - LEFT - 2 * PITCH) < 0.05


def test_quotes_take_full_cells_and_no_line_breaks_the_rules(grid_pdf):
    with pdfplumber.open(grid_pdf) as pdf:
        for page in pdf.pages:
            for line in lines_of(page):
                text = text_of(line)
                if is_page_number(line):
                    continue
                assert text[0] not in CANNOT_START and text[-1] not in CANNOT_END, text
                if len(line) != 28:
                    continue  # squeezed lines give up half cells
                for i, c in enumerate(line[1:-1], start=1):
                    if c["text"] == "“":  # the character after “ is two cells after the one before it
                        step = (line[i + 1]["x0"] - line[i - 1]["x0"]) / MM
                        assert step >= 2 * PITCH - 0.05, (text, step)


def test_a_line_end_comma_is_squeezed_inside_not_hung_out():
    from dudu_desktop.reports.layout import _break_lines, _Unit

    units = [_Unit("字", 10, True)] * 28 + [_Unit("，", 10, True), _Unit("字", 10, True)]
    units[5] = units[9] = _Unit("、", 10, True)  # two 、 inside the line give half a cell each
    lines = _break_lines(units, 280, 0)
    assert len(lines[0]) == 29 and lines[0][-1].text == "，"
    units = [_Unit("字", 10, True)] * 28 + [_Unit("，", 10, True)]  # nothing to squeeze: 字， go on
    lines = _break_lines(units, 280, 0)
    assert [u.text for u in lines[1]] == ["字", "，"]
    units = [_Unit("字", 10, True)] * 27 + [_Unit("“", 10, True), _Unit("字", 10, True)]
    assert _break_lines(units, 280, 0)[0][-1].text == "字"  # “ does not end a line


# ---------------------------------------------------------------- fonts


def report_fonts(path) -> dict[str, tuple[str, float]]:
    """Role → (font name without subset prefix, size) of the first character of that role."""
    with pdfplumber.open(path) as pdf:
        first = lines_of(pdf.pages[0])
    by_text = {text_of(line): line[0] for line in first}
    out = {}
    for role, start in (("title", "都督乡2024"), ("heading1", "一、"), ("heading2", "（一）"), ("body", "本年度")):
        char = next(c for t, c in by_text.items() if t.startswith(start))
        out[role] = (char["fontname"].split("+")[-1], round(char["size"], 1))
    number = next(line for line in first if is_page_number(line))
    out["page_number"] = (number[0]["fontname"].split("+")[-1], round(number[0]["size"], 1))
    return out


def test_bundled_stand_ins_by_role(grid_pdf):
    assert report_fonts(grid_pdf) == {
        "title": ("NotoSerifSC-Bold", 22.0),
        "heading1": ("WenQuanYiMicroHei-0", 16.0),
        "heading2": ("LXGWWenKai-Regular", 16.0),
        "body": ("NotoSerifSC-Regular", 16.0),
        "page_number": ("NotoSerifSC-Regular", 14.0),
    }
    out = (
        subprocess.run(["pdffonts", str(grid_pdf)], capture_output=True, text=True).stdout
        if shutil.which("pdffonts")
        else ""
    )
    for row in out.splitlines()[2:]:
        assert " yes yes yes " in row, row  # embedded, subset, ToUnicode


_PROBE = """
import json, sys
from dudu_desktop.reports.fonts import register_fonts, substitutes_note
from dudu_desktop.reports.layout import build_official_document, Heading, Text
build_official_document(sys.argv[1], title="都督乡2024年度法治政府建设情况报告",
                        blocks=[Heading(1, "一、主要举措"), Heading(2, "（一）组织领导"), Text("本年度我乡坚持学法。")])
print(json.dumps({"note": substitutes_note(register_fonts())}))
"""


def test_windows_fonts_in_a_font_folder_are_the_ones_embedded(tmp_path):
    """Fake Windows fonts (free fonts renamed, upper case as on many PCs), found through
    DUDU_FONT_DIR in a fresh process, each embedded for its role."""
    bundled, fonts = REPO / "resources" / "fonts", tmp_path / "Fonts"
    fonts.mkdir()
    for windows_name, source in (
        ("FZXBSJW.TTF", "LXGWWenKai-Bold.ttf"),
        ("SIMFANG.TTF", "LXGWWenKai-Regular.ttf"),
        ("simhei.ttf", "NotoSerifSC-Bold.ttf"),
        ("simkai.ttf", "NotoSerifSC-Regular.ttf"),
        ("simsun.ttc", "wqy-microhei.ttc"),
    ):
        shutil.copy(bundled / source, fonts / windows_name)
    out = tmp_path / "r.pdf"
    env = dict(os.environ, DUDU_FONT_DIR=str(fonts), PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out)], env=env, capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(result.stdout)["note"] == ""  # nothing substituted
    assert report_fonts(out) == {
        "title": ("LXGWWenKai-Bold", 22.0),
        "heading1": ("NotoSerifSC-Bold", 16.0),
        "heading2": ("NotoSerifSC-Regular", 16.0),
        "body": ("LXGWWenKai-Regular", 16.0),
        "page_number": ("WenQuanYiMicroHei-0", 14.0),
    }


def test_preview_note_names_the_substitutes():
    from dudu_desktop.reports.fonts import register_fonts, substitutes_note

    note = substitutes_note(register_fonts())
    assert "小标宋" in note and "Noto Serif SC Bold" in note and "仿宋" in note


# ---------------------------------------------------------------- wording and date

ZERO_CLAIM = re.compile(r"(?<![\d.])0(次|人次|件|份|场次|起|册|余)")


def report_text(path) -> str:
    with pdfplumber.open(path) as pdf:
        return "".join(text_of(line) for page in pdf.pages for line in lines_of(page))


def test_empty_database_report_claims_nothing(tmp_path):
    db = tmp_path / "e.sqlite3"
    new_context(db, role="township").conn.close()
    out = tmp_path / "e.pdf"
    assert main(["--db", str(db), "report", "annual", "--year", "2024", "--out", str(out), "--date", "2025-01-10"]) == 0
    text = report_text(out)
    assert not ZERO_CLAIM.search(text), ZERO_CLAIM.search(text)
    assert "本年度未排查调处矛盾纠纷" in text and "本年度未开展法治宣传活动" in text
    assert "举办法律讲座" not in text  # a stock claim whose count is 0
    assert "图　2024年度矛盾纠纷月度趋势" not in text  # no chart of empty months
    assert "都督乡人民政府2025年1月10日" in text


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "d.sqlite3"
    c = new_context(path, role="township")
    demo.generate(c, year=2024, villages=5, seed=1)
    c.conn.close()
    return path


@pytest.mark.parametrize("village", [None, "500243104201", "500243104205"])
def test_demo_reports_claim_no_zero_counts(demo_db, tmp_path, village):
    out = tmp_path / "r.pdf"
    args = ["--db", str(demo_db), "report", "annual", "--year", "2024", "--out", str(out)]
    assert main(args + (["--village", village] if village else [])) == 0
    text = report_text(out)
    assert not ZERO_CLAIM.search(text), ZERO_CLAIM.search(text)
    assert "调解成功率" in text


def test_zero_fields_leave_their_clause_and_are_said_plainly():
    figures = {
        "disputes": {"total": 3, "success_rate": 1},
        "trainings": {"study": 2, "seminars": 0, "exam_pass_rate": None, "by_type": {}},
        "hotline": {"consultations": 4, "calls": 0, "satisfaction_rate": None},
        "publicity": {"events": 1, "lectures": 0, "campaigns": 0, "materials": 0, "materials_by_kind": {}},
    }
    values = annual.sentences(figures, 2024)
    line = "定期开展习近平法治思想专题学习、{研讨}。坚持会前学法制度，开展“以案说法”等{专题学习}，{法治培训}。"
    assert annual._honest(line, values, figures, 2024) == (
        "定期开展习近平法治思想专题学习。坚持会前学法制度，开展“以案说法”等专题学习2次。"
        "本年度未组织研讨，未开展村“两委”干部法治培训。"
    )
    line = "通过发放宣传资料、举办法律讲座、设立咨询台等形式，{宣传活动}。"
    assert annual._honest(line, values, figures, 2024) == (
        "通过设立咨询台等形式，开展各类法治宣传活动1次、接受群众法律咨询4次。"
    )


def test_issue_date_defaults_to_the_day_the_texts_were_saved(ctx):
    assert annual.issue_date(ctx, 2024) == dt.date(2024, 12, 20)  # nothing saved: today
    report_texts.save_texts(ctx, 2024, None, {"problems": "一是问题。"})
    ctx.clock = lambda: dt.datetime(2025, 3, 1, 9, 0)
    assert annual.issue_date(ctx, 2024) == dt.date(2024, 12, 20)  # the day it was saved
    assert annual.issue_date(ctx, 2023) == dt.date(2025, 3, 1)
    assert annual.issue_date(ctx, 2024, date="2025-01-10") == dt.date(2025, 1, 10)
    with pytest.raises(Refused):
        annual.issue_date(ctx, 2024, date="10/01/2025")


# ---------------------------------------------------------------- rare characters


def test_rare_characters_fall_back_per_glyph_and_copy_right(tmp_path):
    ctx = new_context(tmp_path / "r.sqlite3", role="township")
    site.save_village(ctx, "500243104209", "㐂𠮷村")
    out = tmp_path / "r.pdf"
    documents.write_annual(ctx, out, year=2024, village="500243104209")
    with pdfplumber.open(out) as pdf:
        first = lines_of(pdf.pages[0])
    title = text_of(first[0])
    assert title.startswith("㐂𠮷村2024年度"), title  # nothing dropped, U+20BB7 maps back to 𠮷
    fonts = {c["text"]: c["fontname"].split("+")[-1] for c in first[0]}
    assert fonts["村"] == "NotoSerifSC-Bold" and fonts["𠮷"] == "LXGWWenKai-Regular"
    # the ledger's 黑体 title (WenQuanYi lacks both) and pypdf's reading of the text layer
    from pypdf import PdfReader

    ledger = tmp_path / "l.pdf"
    documents.write_ledger(ctx, ledger, register="disputes", month="2024-05", village="500243104209")
    assert "㐂𠮷村2024年5月" in PdfReader(ledger).pages[0].extract_text().replace(" ", "")


def test_a_character_in_no_font_is_refused(tmp_path):
    ctx = new_context(tmp_path / "r.sqlite3", role="township")
    site.save_village(ctx, "500243104209", "\U0003134a村")
    with pytest.raises(Refused, match="U\\+3134A"):
        documents.write_annual(ctx, tmp_path / "r.pdf", year=2024, village="500243104209")
    assert not (tmp_path / "r.pdf").exists()


# ---------------------------------------------------------------- line breaking everywhere


def every_document(tmp_path) -> list[Path]:
    ctx = new_context(tmp_path / "k.sqlite3")
    ids = seed(ctx)
    town = new_context(tmp_path / "t.sqlite3", role="township")
    demo.generate(town, year=2024, villages=3, seed=2)
    paths = []
    for register in ("disputes", "trainings", "hotline", "publicity"):
        for c, name in ((ctx, "v"), (town, "t")):
            paths.append(tmp_path / f"{register}-{name}.pdf")
            documents.write_ledger(c, paths[-1], register=register, month="2024-05")
    for after in (False, True):
        paths.append(tmp_path / f"signin-{after}.pdf")
        documents.write_signin(ctx, paths[-1], ids["training"], after=after)
    for c, name in ((ctx, "v"), (town, "t")):
        paths.append(tmp_path / f"annual-{name}.pdf")
        documents.write_annual(c, paths[-1], year=2024)
    return paths


def test_no_line_in_any_document_breaks_the_chinese_line_breaking_rules(tmp_path):
    bad = []
    for path in every_document(tmp_path):
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                for line in lines_of(page, gap=6):
                    text = text_of(line).strip()
                    if (
                        len(text) > 1
                        and not is_page_number(line)
                        and (text[0] in CANNOT_START or text[-1] in CANNOT_END)
                    ):
                        bad.append((path.name, number, text))
    assert not bad, bad


# ---------------------------------------------------------------- ledgers


def test_sequence_number_1000_does_not_wrap(tmp_path):
    """A ledger of 1000 rows: the 序号 column is sized for "1000" (it wrapped as "100/0")."""
    import dataclasses

    from dudu_desktop.reports import data
    from dudu_desktop.reports.ledgers import render_ledger_pdf

    ctx = new_context(tmp_path / "s.sqlite3")
    seed(ctx)
    ledger = data.ledger(ctx, "disputes", month="2024-05")
    row = list(ledger.rows[0])
    rows = [[n, *row[1:]] for n in range(1, 1001)]
    ledger = dataclasses.replace(ledger, rows=rows)
    out = tmp_path / "l.pdf"
    with open(out, "wb") as f:
        render_ledger_pdf(f, ledger)
    with pdfplumber.open(out) as pdf:
        last = pdf.pages[-1]
        words = [w["text"] for w in last.extract_words()]
    assert "1000" in words and "100" not in words, words[:40]


def test_number_columns_are_as_wide_as_their_widest_number(tmp_path):
    import dataclasses

    from dudu_desktop.reports import data, ledgers
    from dudu_desktop.reports.layout import text_width

    ctx = new_context(tmp_path / "s.sqlite3")
    seed(ctx)
    ledger = data.ledger(ctx, "disputes", month="2024-05").printed()
    row = list(ledger.rows[0])
    ledger = dataclasses.replace(ledger, rows=[[n, *row[1:]] for n in range(1, 12001)])
    size = ledgers.font_size(ledger)
    assert ledgers.column_widths(ledger, size=size)[0] >= text_width("12000", "FANG", size) + ledgers._pad(size)
