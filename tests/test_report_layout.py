"""PDF primitives: ledgers, GB/T 9704 documents, forms, chart, fonts (read back with pypdf)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.charts.legends import Legend
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from dudu_desktop.domain.vocab import DISPUTE_TYPES
from dudu_desktop.reports import fonts as fontmod
from dudu_desktop.reports.fonts import FANG, HEI, register_fonts, resolve_fonts, system_font_dir
from dudu_desktop.reports.layout import (
    DOC_LEADING,
    DOC_MARGINS,
    DOC_PAGE,
    FORM_FRAME_WIDTH,
    LEDGER_FRAME_WIDTH,
    LEDGER_MARGINS,
    Column,
    Figure,
    Gap,
    Heading,
    Text,
    build_form,
    build_ledger,
    build_official_document,
    data_table,
    kv_table,
    para,
    signature_lines,
    trend_chart,
)

REPO = Path(__file__).resolve().parents[1]
LONG = (
    "村民张某与邻居李某因宅基地界址发生争执，双方各执一词，互不相让，"
    "村调委会多次上门了解情况，查阅了1998年的土地登记资料，并请老组长到场指认界桩。"
)
TYPES = list(DISPUTE_TYPES)
COLUMNS = [
    Column("序号", 0.7, "center"),
    Column("登记日期", 1.5, "center"),
    Column("当事人", 1.4),
    Column("纠纷类型", 1.2, "center"),
    Column("纠纷简要情况", 4.5),
    Column("调处结果", 2.5),
    Column("协议金额（元）", 1.4, "right"),
]


def ledger_rows(n: int) -> list[list[str]]:
    return [
        [
            f"{i}",
            f"2024年{i % 12 + 1}月{i % 28 + 1}日",
            f"王喆{i}、李玥珺",
            TYPES[i % 15],
            f"R{i:03d} " + LONG * (1 + i % 3),
            "调解成功，双方签订协议。" * (1 + i % 2),
            f"{i * 100:,}.00",
        ]
        for i in range(1, n + 1)
    ]


def make_ledger(out, n=60, **kw):
    args = {
        "title": "都督乡某某村矛盾纠纷排查调处台账（2024年度）",
        "subtitle": "填报单位：某某村调委会　　　统计时段：2024年1月1日至12月31日",
        "columns": COLUMNS,
        "rows": ledger_rows(n),
        "totals": ["合计", "", "", "", f"共 {n} 件", "", "183,000.00"],
        "signature": {"填表人": "张三", "审核人": "", "填报日期": "2025年1月6日"},
    }
    args.update(kw)
    return build_ledger(out, **args)


def report_blocks() -> list:
    months = [f"{m}月" for m in range(1, 13)]
    series = {t: [(i * 7 + m * 3) % 5 for m in range(12)] for i, t in enumerate(TYPES)}
    blocks = [Text("　　" + LONG * 3), Heading(1, "一、2024年度推进法治政府建设的主要举措和成效")]
    for k, numeral in enumerate("一二三四"):
        blocks += [Heading(2, f"（{numeral}）切实加强组织领导，法治政府建设更加有力"), Text(LONG * 4)]
        if k == 1:
            blocks.append(Figure(trend_chart(months, series), "图1　矛盾纠纷月度趋势"))
    blocks += [Heading(3, "1. 排查"), Text(LONG), Gap(1), Heading(4, "（1）回访"), Text(LONG)]
    return blocks


def make_report(out, blocks=None):
    return build_official_document(
        out,
        title="都督乡2024年度法治政府建设情况报告（关于矛盾纠纷多元化解工作的专题说明）",
        subtitle_lines=["都督乡人民政府"],
        blocks=report_blocks() if blocks is None else blocks,
        signature_lines=["都督乡人民政府", "2025年1月10日"],
    )


def build_bytes(builder, *args, **kwargs) -> bytes:
    buf = io.BytesIO()
    builder(buf, *args, **kwargs)
    return buf.getvalue()


def texts(page) -> list[tuple[float, float, str, float, str]]:
    """(x, y, font, size, text) of each text run on a page, in page coordinates."""
    runs = []

    def visit(text, cm, tm, font_dict, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            font = str(font_dict.get("/BaseFont", "")) if font_dict else ""
            runs.append((x, y, font, size, text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def lines(page) -> list[tuple[float, float, str, float, str]]:
    """Runs merged into lines: reportlab starts a new run (same x, y) when the font subset
    changes within a line."""
    merged: dict[tuple[float, float], list] = {}
    for x, y, font, size, text in texts(page):
        key = (round(x, 1), round(y, 1))
        if key in merged:
            merged[key][4] += text
        else:
            merged[key] = [x, y, font, size, text]
    return [tuple(v) for v in merged.values()]


def page_numbers(reader) -> list[tuple[int, int]]:
    found = []
    for page in reader.pages:
        m = re.search(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", page.extract_text())
        found.append((int(m.group(1)), int(m.group(2))) if m else None)
    return found


def assert_all_fonts_embedded(reader):
    seen = 0
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            assert descriptor is not None, f"{font['/BaseFont']} has no descriptor (not embedded)"
            assert "/FontFile2" in descriptor.get_object(), f"{font['/BaseFont']} not embedded"
            seen += 1
    assert seen


# ---------------------------------------------------------------- ledger


@pytest.fixture(scope="module")
def ledger_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledger") / "ledger.pdf"
    pages = make_ledger(path)
    return pages, PdfReader(path)


def test_ledger_title_and_page_count(ledger_pdf):
    pages, reader = ledger_pdf
    assert pages == len(reader.pages) >= 3
    first = reader.pages[0].extract_text()
    assert "都督乡某某村矛盾纠纷排查调处台账（2024年度）" in first
    assert "统计时段：2024年1月1日至12月31日" in first
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert width > height  # landscape


def test_ledger_header_on_every_page(ledger_pdf):
    _, reader = ledger_pdf
    for page in reader.pages:
        text = page.extract_text()
        for column in ("纠纷简要情况", "调处结果", "登记日期"):
            assert column in text


def test_ledger_page_x_of_n(ledger_pdf):
    _, reader = ledger_pdf
    total = len(reader.pages)
    assert page_numbers(reader) == [(i, total) for i in range(1, total + 1)]
    for number, page in enumerate(reader.pages, start=1):  # centred at the foot
        ((x, y, _, size, _),) = [r for r in texts(page) if r[4].startswith("第")]
        width = stringWidth(f"第 {number} 页 共 {total} 页", FANG, size)
        assert abs(x + width / 2 - float(page.mediabox.width) / 2) < 3
        assert y < LEDGER_MARGINS[3]


def test_ledger_all_rows_once_in_order(ledger_pdf):
    _, reader = ledger_pdf
    text = "".join(p.extract_text() for p in reader.pages)
    ids = re.findall(r"R(\d{3})", text)
    assert ids == [f"{i:03d}" for i in range(1, 61)]


def test_ledger_ends_with_last_row_totals_and_signature(ledger_pdf):
    _, reader = ledger_pdf
    last = reader.pages[-1].extract_text()
    for expected in ("R060", "合计", "共 60 件", "填表人", "张三", "审核人", "填报日期", "2025年1月6日"):
        assert expected in last


def test_last_row_never_left_behind_by_totals_and_signature():
    """Whatever the length, the last page holds the last row with the totals and the
    signature (without NOSPLIT, 9, 14 and 24 rows leave them alone on a page)."""
    for n in range(6, 31):
        buf = io.BytesIO()
        make_ledger(buf, n=n)
        last = PdfReader(buf).pages[-1].extract_text()
        assert f"R{n:03d}" in last and "合计" in last and "填表人" in last, n


def test_ledger_no_page_ends_with_the_header(ledger_pdf):
    _, reader = ledger_pdf
    for page in reader.pages:
        header_y = min(y for x, y, f, s, t in texts(page) if t == "纠纷简要情况")
        body = [r for r in texts(page) if r[1] < header_y - 5 and re.search(r"R\d{3}", r[4])]
        assert body, "a page whose table has only its header"


def test_ledger_cells_stay_inside_their_columns(ledger_pdf):
    _, reader = ledger_pdf
    weight = sum(c.width_weight for c in COLUMNS)
    edges = [LEDGER_MARGINS[0]]
    for c in COLUMNS:
        edges.append(edges[-1] + LEDGER_FRAME_WIDTH * c.width_weight / weight)
    checked = 0
    for page in reader.pages:
        for x, _y, font, size, text in lines(page):
            if size != 10:  # title, subtitle, signature, page number
                continue
            col = max(i for i in range(len(COLUMNS)) if x >= edges[i])
            end = x + stringWidth(text, HEI if "WenQuanYi" in font else FANG, size)
            assert end <= edges[col + 1], (text, end, edges[col + 1])
            checked += 1
    assert checked > 500


def test_giant_cell_splits_across_pages(tmp_path):
    giant = "".join(f"第{i}句话说明纠纷的经过。" for i in range(400))
    rows = [["1", "短"], ["2", giant], ["3", "尾行"]]
    path = tmp_path / "giant.pdf"
    pages = build_ledger(
        path, title="超长", subtitle=None, columns=[Column("序号", 1, "center"), Column("情况", 12)], rows=rows
    )
    reader = PdfReader(path)
    assert pages == len(reader.pages) >= 2
    text = re.sub(r"\s", "", "".join(p.extract_text() for p in reader.pages))
    assert "第0句话" in text and "第399句话说明纠纷的经过。" in text and "尾行" in text
    for page in reader.pages:  # the header appears once per page, not mid-page
        assert page.extract_text().count("情况") == 1


def test_ledger_validates_row_width(tmp_path):
    with pytest.raises(ValueError):
        build_ledger(tmp_path / "x.pdf", title="t", subtitle=None, columns=COLUMNS, rows=[["1"]])
    with pytest.raises(ValueError):
        Column("x", align="middle")


def test_ledger_is_byte_identical_and_accepts_paths_and_files(tmp_path):
    first = build_bytes(make_ledger, n=12)
    assert first == build_bytes(make_ledger, n=12)
    make_ledger(tmp_path / "a.pdf", n=12)
    make_ledger(str(tmp_path / "b.pdf"), n=12)
    assert (tmp_path / "a.pdf").read_bytes() == first == (tmp_path / "b.pdf").read_bytes()


def test_ledger_fonts_embedded(ledger_pdf):
    assert_all_fonts_embedded(ledger_pdf[1])


def test_blank_signature_and_no_totals(tmp_path):
    path = tmp_path / "blank.pdf"
    assert build_ledger(path, title="空台账", subtitle=None, columns=COLUMNS, rows=[]) == 1
    text = PdfReader(path).pages[0].extract_text()
    assert "填表人" in text and "审核人" in text and "第 1 页 共 1 页" in text


# ---------------------------------------------------------------- official document


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    pages = make_report(path)
    return pages, PdfReader(path)


def test_report_title_and_pages(report_pdf):
    pages, reader = report_pdf
    assert pages == len(reader.pages) >= 3
    first = re.sub(r"\s", "", reader.pages[0].extract_text())
    assert "都督乡2024年度法治政府建设情况报告（关于矛盾纠纷多元化解工作的专题说明）" in first
    assert tuple(float(v) for v in reader.pages[0].mediabox.upper_right) == pytest.approx(DOC_PAGE)
    last = reader.pages[-1].extract_text()
    assert "2025年1月10日" in last


def test_report_page_numbers_odd_right_even_left(report_pdf):
    _, reader = report_pdf
    left, right, _, bottom = DOC_MARGINS
    type_area_right = DOC_PAGE[0] - right
    for number, page in enumerate(reader.pages, start=1):
        foot = [r for r in texts(page) if r[1] < bottom]
        text = "".join(r[4] for r in foot).replace(" ", "")
        assert text == f"—{number}—"
        x, y, font, size, run = foot[0]
        assert size == 14
        assert bottom - 7 * mm - size < y < bottom - 7 * mm  # the rule 7 mm under the type area
        width = stringWidth(f"— {number} —", "SONG", size)
        if number % 2:
            assert x + width == pytest.approx(type_area_right - size, abs=1)
        else:
            assert x == pytest.approx(left + size, abs=1)


def test_report_body_on_a_22_line_grid(tmp_path):
    path = tmp_path / "grid.pdf"
    make_report(path, blocks=[Text(LONG * 40)])
    page = PdfReader(path).pages[1]  # a full page of body text
    ys = sorted({round(y, 1) for x, y, f, s, t in texts(page) if s == 16}, reverse=True)
    assert len(ys) == 22
    assert all(a - b == pytest.approx(DOC_LEADING, abs=0.11) for a, b in zip(ys, ys[1:]))
    # first line: two-character indent; the type area starts 28 mm from the left edge
    first_x = min(x for x, y, f, s, t in texts(PdfReader(path).pages[0]) if s == 16)
    assert first_x == pytest.approx(DOC_MARGINS[0], abs=0.5)


def test_report_headings_never_end_a_page(tmp_path):
    blocks = []
    for i in range(30):
        blocks += [Heading(1 + i % 2, f"标题第{i}号"), Text(LONG * (1 + i % 3))]
    path = tmp_path / "headings.pdf"
    make_report(path, blocks=blocks)
    reader = PdfReader(path)
    assert len(reader.pages) > 3
    for page in reader.pages:
        body = [r for r in texts(page) if r[1] > DOC_MARGINS[3]]
        lowest = min(body, key=lambda r: r[1])
        assert not lowest[4].startswith("标题"), lowest


def test_report_fonts_embedded_and_byte_identical(report_pdf, tmp_path):
    assert_all_fonts_embedded(report_pdf[1])
    assert build_bytes(make_report) == build_bytes(make_report)


def test_heading_level_is_checked(tmp_path):
    with pytest.raises(ValueError):
        make_report(tmp_path / "x.pdf", blocks=[Heading(5, "五级")])


# ---------------------------------------------------------------- forms


def agreement_blocks(extra_rows: int = 0) -> list:
    width = FORM_FRAME_WIDTH
    rows = [
        ("当事人", "张三丰", "性别", "男"),
        ("住址", "重庆市某县都督乡某某村3组"),
        ("纠纷主要事实、争议事项", LONG * 3),
    ] + [("协议事项", f"第{i}项：" + LONG) for i in range(extra_rows)]
    return [
        para("编号：（2024）都调字第12号", align="right"),
        kv_table(rows, [30 * mm, width / 2 - 30 * mm, 20 * mm, width / 2 - 20 * mm]),
        para("本协议一式三份，当事人、人民调解委员会各持一份。"),
        signature_lines(
            [("当事人（签名）", ""), ("人民调解员（签名）", ""), ("记录人", "王喆"), ("日期", "2024年11月27日")],
            width=width,
            per_row=2,
        ),
    ]


def test_form_single_page(tmp_path):
    path = tmp_path / "agreement.pdf"
    assert build_form(path, title="人民调解协议书", blocks=agreement_blocks()) == 1
    reader = PdfReader(path)
    text = reader.pages[0].extract_text()
    for expected in ("人民调解协议书", "纠纷主要事实", "张三丰", "记录人", "王喆", "第 1 页 共 1 页"):
        assert expected in text
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert width < height  # portrait
    assert_all_fonts_embedded(reader)


def test_form_numbering_over_pages(tmp_path):
    path = tmp_path / "long.pdf"
    pages = build_form(path, title="人民调解协议书", blocks=agreement_blocks(extra_rows=25))
    reader = PdfReader(path)
    assert pages == len(reader.pages) >= 2
    assert page_numbers(reader) == [(i, pages) for i in range(1, pages + 1)]
    assert build_bytes(build_form, title="t", blocks=agreement_blocks()) == build_bytes(
        build_form, title="t", blocks=agreement_blocks()
    )


def test_sign_in_sheet_with_data_table(tmp_path):
    columns = [Column("序号", 1, "center"), Column("姓名", 2, "center"), Column("职务", 3), Column("签到", 3)]
    rows = [[str(i), f"村干部{i}", "村民委员会委员", ""] for i in range(1, 41)]
    table = data_table(columns, rows, width=FORM_FRAME_WIDTH, frame_height=200 * mm)
    path = tmp_path / "signin.pdf"
    pages = build_form(path, title="村两委干部法治培训签到表", blocks=[table])
    reader = PdfReader(path)
    assert pages == len(reader.pages) == 2
    assert all("职务" in p.extract_text() for p in reader.pages)


def test_kv_table_needs_pairs():
    with pytest.raises(ValueError):
        kv_table([("姓名", "张三", "性别")])


def test_para_keeps_plain_text():
    p = para("A<B & C\r\n第二行　全角空格  两个空格")
    assert "&lt;" in p.text and "&amp;" in p.text and "<br/>" in p.text and "\r" not in p.text
    assert "&#x3000;" in p.text and " &nbsp;两个" in p.text


# ---------------------------------------------------------------- chart


def legend_names(drawing) -> list[str]:
    legend = next(c for c in drawing.contents if isinstance(c, Legend))
    return [name for _, name in legend.colorNamePairs]


def test_trend_chart_keeps_top_types_and_lumps_the_rest():
    months = ["1月", "2月", "3月"]
    series = {t: [i, 0, 1] for i, t in enumerate(TYPES)}  # 其他 is TYPES[-1]
    drawing = trend_chart(months, series, top=4)
    names = legend_names(drawing)
    assert names == ["物业", "道路交通事故", "医疗", "消费", "其他"]
    chart = drawing.contents[0]
    assert [sum(col) for col in zip(*chart.data)] == [sum(range(15)), 0, 15]


def test_trend_chart_edge_cases(tmp_path):
    assert legend_names(trend_chart(["1月"], {"邻里": [0]})) == ["邻里"]
    assert not any(isinstance(c, Legend) for c in trend_chart(["1月"], {}).contents)
    with pytest.raises(ValueError):
        trend_chart(["1月", "2月"], {"邻里": [1]})


# ---------------------------------------------------------------- fonts

FAKE_WINDOWS = {  # Windows file name → bundled font copied under that name
    "simhei.ttf": "LXGWWenKai-Regular.ttf",
    "simkai.ttf": "LXGWWenKai-Regular.ttf",
    "simsun.ttc": "wqy-microhei.ttc",
    "simfang.ttf": "LXGWWenKai-Regular.ttf",
}


@pytest.fixture
def fake_windows_fonts(tmp_path):
    bundled = REPO / "resources" / "fonts"
    for name, source in FAKE_WINDOWS.items():
        shutil.copy(bundled / source, tmp_path / name)
    return tmp_path


def test_bundled_fonts_by_default(monkeypatch):
    monkeypatch.delenv("DUDU_FONT_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    chosen = resolve_fonts()
    bundled = REPO / "resources" / "fonts"
    assert chosen.file(HEI).path == bundled / "wqy-microhei.ttc"
    assert chosen.file("KAI").path == bundled / "LXGWWenKai-Regular.ttf"
    for name in ("SONG", "FANG"):  # GB/T 9704 substitutes: a Song face for 宋体/仿宋
        assert chosen.file(name).path == bundled / "NotoSerifSC-Regular.ttf"
    assert chosen.file("XBS").path == bundled / "NotoSerifSC-Bold.ttf"
    for name in ("KAI", "SONG", "FANG"):
        assert chosen.bold_name(name) == f"{name}-Bold"
    assert chosen.bold_name(HEI) == HEI
    assert set(chosen.substitutes()) == {"XBS", "HEI", "KAI", "SONG", "FANG"}


def test_windows_fonts_preferred(fake_windows_fonts):
    chosen = resolve_fonts(fake_windows_fonts)
    for name, file in (("HEI", "simhei.ttf"), ("KAI", "simkai.ttf"), ("SONG", "simsun.ttc"), ("FANG", "simfang.ttf")):
        assert chosen.file(name).path == fake_windows_fonts / file
        assert chosen.bold_name(name) == name  # no bold file for the Windows faces
    assert set(chosen.substitutes()) == {"XBS"}  # no 方正小标宋 in the fake folder
    assert chosen.file("SONG").index == 0


def test_missing_windows_fonts_fall_back_one_by_one(fake_windows_fonts):
    (fake_windows_fonts / "simfang.ttf").unlink()
    chosen = resolve_fonts(fake_windows_fonts)
    assert chosen.file("HEI").path.parent == fake_windows_fonts
    assert chosen.file("FANG").path.name == "NotoSerifSC-Regular.ttf"


def test_windows_font_dir_default(monkeypatch, tmp_path):
    monkeypatch.delenv("DUDU_FONT_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("WINDIR", str(tmp_path))
    assert system_font_dir() == tmp_path / "Fonts"
    monkeypatch.setenv("DUDU_FONT_DIR", "/elsewhere")
    assert system_font_dir() == Path("/elsewhere")
    assert system_font_dir(tmp_path) == tmp_path


def test_register_is_idempotent_and_refuses_another_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("DUDU_FONT_DIR", raising=False)
    first = register_fonts()
    assert register_fonts() is first
    with pytest.raises(RuntimeError):
        register_fonts(tmp_path)
    assert fontmod.resources_dir() == REPO / "resources"


def test_resources_inside_a_pyinstaller_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert fontmod.bundled_font_dir() == tmp_path / "resources" / "fonts"


_PROBE = """
import json, sys
from pypdf import PdfReader
from dudu_desktop.reports.fonts import register_fonts
from dudu_desktop.reports.layout import build_form, para
fonts = register_fonts()
build_form(sys.argv[1], title="宋体标题", blocks=[para("楷体正文", font="KAI")])
used = set()
for page in PdfReader(sys.argv[1]).pages:
    used |= {str(f.get_object()["/BaseFont"]).split("+")[-1] for f in page["/Resources"]["/Font"].values()}
print(json.dumps({"faces": {k: [str(r.path), b is not None] for k, (r, b) in fonts.faces.items()},
                  "used": sorted(used)}))
"""


def _probe(tmp_path, font_dir) -> dict:
    env = dict(os.environ, DUDU_FONT_DIR=str(font_dir), PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "probe.pdf")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    return json.loads(out)


def test_windows_fonts_end_up_in_the_pdf(tmp_path, fake_windows_fonts):
    """DUDU_FONT_DIR in a fresh process: SONG (the title) is the fake simsun.ttc, i.e.
    WenQuanYi, where the bundled set would have used LXGW WenKai Bold."""
    result = _probe(tmp_path, fake_windows_fonts)
    assert result["faces"]["SONG"] == [str(fake_windows_fonts / "simsun.ttc"), False]
    assert result["faces"]["HEI"][0] == str(fake_windows_fonts / "simhei.ttf")
    assert result["used"] == ["LXGWWenKai-Regular", "WenQuanYiMicroHei-0"]


def test_unreadable_windows_font_falls_back(tmp_path, fake_windows_fonts):
    (fake_windows_fonts / "simsun.ttc").write_bytes(b"not a font")
    result = _probe(tmp_path, fake_windows_fonts)
    assert result["faces"]["SONG"] == [str(REPO / "resources" / "fonts" / "NotoSerifSC-Regular.ttf"), True]
    assert result["used"] == ["LXGWWenKai-Regular", "NotoSerifSC-Bold"]
