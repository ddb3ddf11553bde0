"""Colours and the application style sheet (one place, so the legend matches the rows)."""

from __future__ import annotations

TEXT = "#1f1f1f"
DONE_TEXT = "#5f6368"  # concluded / closed-out cases: grey text
OVERDUE_TEXT = "#b00020"  # overdue: dark red, bold
ERROR = "#c62828"
VOIDED_TEXT = "#9aa0a6"  # voided (作废) records, shown with 显示已作废: light grey, struck through

#: Row backgrounds by warning level (pale enough for black text to stay readable).
LEVEL_BACKGROUND = {"红": "#f9d0d0", "黄": "#fff1b8", "蓝": "#dce9fa"}
#: Strong colours for badges and the home page's figures.
LEVEL_STRONG = {"红": "#d32f2f", "黄": "#f9a825", "蓝": "#1e63c4"}

APP_STYLE = f"""
QListWidget#nav {{ font-size: 15px; border: none; background: #f3f5f8; padding-top: 8px; }}
QListWidget#nav::item {{ padding: 10px 14px; }}
QListWidget#nav::item:selected {{ background: #dbe6f7; color: #0b3d91; border-left: 4px solid #1e63c4; }}
QLabel.error {{ color: {ERROR}; }}
QLabel#pageTitle {{ font-size: 18px; font-weight: bold; }}
QPushButton.figure {{ text-align: left; padding: 10px 14px; border: 1px solid #d0d7e2; border-radius: 6px;
                      background: #ffffff; }}
QPushButton.figure:hover {{ background: #eef4ff; border-color: #1e63c4; }}
QTableView {{ gridline-color: #d9dde3; }}
"""

ERROR_BORDER = f"border: 2px solid {ERROR}; border-radius: 3px;"
