"""Home-page charts (issue 12): the bars are the figures of ``stats --json``, and a click (or Enter on
the bar chosen with the arrow keys) opens the disputes register with the matching filter."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from dudu_desktop.cli import main
from dudu_desktop.services import demo, site
from dudu_desktop.ui.main_window import MainWindow


def stats_json(capsys, db, *args) -> dict:
    capsys.readouterr()
    assert main(["--db", str(db), "stats", "--json", *map(str, args)]) == 0
    return json.loads(capsys.readouterr().out)["disputes"]


@pytest.fixture
def town(qtbot, township_ctx):
    demo.generate(township_ctx, year=2024, villages=3, seed=7)
    demo.generate(township_ctx, year=2023, villages=3, seed=8)
    db = township_ctx.conn.execute("PRAGMA database_list").fetchone()[2]
    win = MainWindow(township_ctx, db)
    qtbot.addWidget(win)
    win.resize(1024, 740)
    win.show()
    qtbot.waitExposed(win)
    yield win, db
    win.close()


def bars(chart, series=0) -> dict[str, int]:
    return dict(zip(chart.categories, chart.series[series].values))


def test_the_bars_are_the_figures_of_stats_json(town, capsys):
    win, db = town
    charts = win.home.charts
    assert set(charts) == {"months", "types", "levels", "villages"}
    this, last = stats_json(capsys, db, "--year", 2024), stats_json(capsys, db, "--year", 2023)
    for series, (year, figures) in enumerate(((2024, this), (2023, last))):
        for m in range(1, 13):
            month = f"{year}-{m:02d}"
            assert charts["months"].value(m - 1, series) == sum(figures["by_month_type"].get(month, {}).values())
        assert sum(charts["months"].series[series].values) == figures["total"] > 0
    assert bars(charts["types"]) == {t: n for t, n in this["by_type"].items() if n}
    assert list(charts["levels"].series[0].values) == [this["by_level"][k] for k in ("red", "yellow", "blue")]
    assert charts["levels"].categories == ["红色预警", "黄色预警", "蓝色预警"]
    villages = site.villages(win.ctx.conn)
    assert len(villages) == 3
    assert bars(charts["villages"]) == {
        v["name"]: stats_json(capsys, db, "--year", 2024, "--village", v["code"])["total"] for v in villages
    }
    assert charts["months"].series[0].name == "2024年"


def click(qtbot, win, key, category, series=0):
    """Click the bar; return the register page shown and the count it lists."""
    chart = win.home.charts[key]
    win.show_page("home")
    page = win.pages["disputes"]
    with qtbot.waitSignal(page.model.loaded, timeout=10000) as loaded:
        qtbot.mouseClick(chart, Qt.LeftButton, pos=chart.click_point(category, series))
    assert win.page_key() == "disputes"
    return page, loaded.args[0]


def test_a_click_on_a_bar_opens_the_register_with_its_filter(qtbot, town):
    win, _db = town
    charts = win.home.charts
    page, count = click(qtbot, win, "months", 4, 1)  # May of last year
    f = page.filters()
    assert f.month == "2023-05" and count == charts["months"].value(4, 1)
    assert page.period.currentData() == "month" and page.month.date().toString("yyyy-MM") == "2023-05"

    dtype = charts["types"].categories[1]
    page, count = click(qtbot, win, "types", 1)
    f = page.filters()
    assert (f.type, f.date_from, f.date_to, f.month) == (dtype, "2024-01-01", "2024-12-31", None)
    assert page.period.currentData() == "this_year" and page.type.currentData() == dtype
    assert count == charts["types"].value(1)

    page, count = click(qtbot, win, "levels", 1)
    assert page.filters().level == "黄" and page.filters().type is None
    assert count == charts["levels"].value(1)

    code = site.villages(win.ctx.conn)[0]["code"]
    row = [i for i, name in enumerate(charts["villages"].categories) if name == site.village_name(win.ctx.conn, code)][
        0
    ]
    page, count = click(qtbot, win, "villages", row)
    assert page.filters().village == code and page.village.currentData() == code
    assert count == charts["villages"].value(row)


def test_the_keyboard_reaches_the_bars_too(qtbot, town):
    win, _db = town
    chart = win.home.charts["levels"]
    page = win.pages["disputes"]
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key_Right)  # the first bar
    qtbot.keyClick(chart, Qt.Key_Right)  # the second: 黄
    with qtbot.waitSignal(page.model.loaded, timeout=10000) as loaded:
        qtbot.keyClick(chart, Qt.Key_Return)
    assert win.page_key() == "disputes" and page.filters().level == "黄"
    assert loaded.args[0] == chart.value(1)


def test_a_village_sees_no_village_chart_and_an_empty_year_says_so(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    assert set(window.home.charts) == {"months", "types", "levels"}
    chart = window.home.charts["months"]
    assert sum(chart.series[0].values) == 0 and chart.empty_text == "2024年尚未登记矛盾纠纷。"
    image = chart.grab()
    assert not image.isNull() and image.width() > 200


def test_charts_follow_a_change_drawn_when_the_home_page_is_shown(qtbot, town):
    from dudu_desktop.services import records

    win, _db = town
    chart = win.home.charts["months"]
    before = sum(chart.series[0].values)
    win.show_page("trainings")
    dispute_id = win.ctx.conn.execute(
        "SELECT id FROM disputes WHERE deleted = 0 AND registered_on LIKE '2024%' LIMIT 1"
    ).fetchone()[0]
    records.delete_record(win.ctx, "disputes", dispute_id, reason="重复登记")
    win.refresh_all()
    assert win.home._charts_stale and sum(chart.series[0].values) == before  # hidden: not read yet
    win.show_page("home")
    assert sum(chart.series[0].values) == before - 1
