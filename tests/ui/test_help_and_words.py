"""Help → 使用说明 opens the bundled guide rendered offline; the 已销号 banner names the button it
asks for, 重新打开 (issue 12)."""

from __future__ import annotations

from dudu_desktop.services import disputes
from tests.ui.conftest import make_dispute


def test_help_menu_opens_the_rendered_user_guide(qtbot, window):
    action = window.findChild(type(window.guide_action), "guide")
    assert action.text() == "使用说明"
    action.trigger()
    dialog = window.guide_dialog
    qtbot.waitExposed(dialog)
    text = dialog.browser.toPlainText()
    assert "使用说明" in text and "#" not in text.splitlines()[0]  # Markdown rendered, not shown raw
    html = dialog.browser.toHtml()
    assert "<h1" in html or "font-size:xx-large" in html or "font-size:" in html


def test_closed_out_banner_and_button_say_the_same_word(qtbot, window, ctx):
    case = make_dispute(ctx)
    disputes.conclude(ctx, case, result="调解不成", concluded_on="2024-12-10")
    disputes.close_out(ctx, case, closed_out_on="2024-12-11")
    dialog = window.open_record("disputes", case)
    button = dialog.action_buttons["reopen"].text().rstrip("…")
    assert button == "重新打开" and button in dialog.status_line.text()
