"""Help → 使用说明 in the frozen build: build.spec bundles the guide and its pictures where ui/guide.py
looks for them (``sys._MEIPASS/docs``). The spec's GUIDE entries are laid out as PyInstaller does
(a file into its folder, a folder's files under the destination) in a fake _MEIPASS; the guide
dialog then finds the text there and every picture the guide shows."""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument

from dudu_desktop.ui import guide

ROOT = Path(__file__).resolve().parents[2]


def spec_guide_entries() -> list[tuple[str, str]]:
    tree = ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "GUIDE":
            return eval(compile(ast.Expression(node.value), "build.spec", "eval"), {"ROOT": ROOT, "str": str})
    raise AssertionError("build.spec has no GUIDE entries")


def test_the_frozen_build_carries_the_guide_and_its_pictures(qtbot, tmp_path, monkeypatch):
    meipass = tmp_path / "_internal"
    for source, dest in spec_guide_entries():
        source = Path(source)
        assert source.exists(), source
        target = meipass / dest
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.name)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    assert guide.guide_path() == meipass / "docs" / guide.GUIDE_NAME

    dialog = guide.GuideDialog()
    qtbot.addWidget(dialog)
    text = guide.guide_path().read_text(encoding="utf-8")
    assert "图表" in text
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 10
    for name in pictures:
        image = dialog.browser.loadResource(QTextDocument.ImageResource, QUrl(name))
        assert image is not None and not getattr(image, "isNull", lambda: False)(), name
        assert (meipass / "docs" / name).is_file(), name
