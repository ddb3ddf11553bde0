"""docs/使用说明.md: every picture it shows exists (PNG, modest size) in both screen sizes, each a
whole screen of that size (scripts/screenshots.py), no picture lies unused, and every command it tells
a cadre to type is one the program has."""

import re
import shlex
import struct
from pathlib import Path

from dudu_desktop.cli import build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDE = DOCS / "使用说明.md"
SHOTS = DOCS / "screenshots"
SIZES = {"1366": (1366, 768), "1024": (1024, 768)}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_every_picture_in_the_guide_exists_and_is_a_modest_png():
    text = GUIDE.read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 12
    for name in pictures:
        path = DOCS / name
        assert path.exists(), name
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 400_000, name


def test_every_picture_is_a_whole_screen_in_both_sizes_and_none_is_unused():
    """The guide shows the 1366×768 pictures and lists the 1024×768 ones: each picture it names, shown
    or linked, exists at both sizes as a whole screen of that size; every picture in the folder is named."""
    text = GUIDE.read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]*\]\(screenshots/([^)]+)\)", text)
    named = re.findall(r"\]\(screenshots/([^)]+\.png)\)", text)
    assert shown and all(s.startswith("1366/") for s in shown), shown  # inline: the 1366×768 set
    stems = {n.split("/", 1)[1] for n in named}
    assert {n.split("/", 1)[0] for n in named} == set(SIZES), "the guide names both sets"
    assert len(stems) >= 30  # every page and dialog, not only the ones shown inline
    for stem in stems:
        for key, size in SIZES.items():
            path = SHOTS / key / stem
            assert path.is_file(), f"{key}/{stem}"
            data = path.read_bytes()
            assert png_size(data) == size, f"{key}/{stem}"
            assert len(data) < 250_000, f"{key}/{stem} is {len(data)} bytes: optimise it (scripts/screenshots.py)"
        assert f"1366/{stem}" in named and f"1024/{stem}" in named, f"the list at the end names both: {stem}"
    on_disk = {f"{p.parent.name}/{p.name}" for p in SHOTS.rglob("*.png")}
    assert on_disk == set(named), f"pictures no longer in the guide: {sorted(on_disk - set(named))}"


def test_the_commands_in_the_guide_parse():
    text = GUIDE.read_text(encoding="utf-8")
    commands = re.findall(r"`(dudu-desktop\.exe [^`]+)`", text)
    commands += re.findall(r"^(dudu-desktop\.exe .+?)(?:\s{2,}（.*)?$", text, re.MULTILINE)
    assert len(commands) >= 8
    parser = build_parser()
    for command in commands:
        argv = [a for a in shlex.split(command.replace("\\", "/"))[1:] if a != "[--preview]"]
        if argv == ["--help"]:
            continue
        parser.parse_args(argv)  # SystemExit (exit 2) on a command the program does not have


def test_help_guide_shows_the_screen_pictures_within_the_window(qtbot):
    """Help → 使用说明: the 1366 px pictures are drawn at the guide's picture width (no sideways
    scrolling to see a picture), keeping their proportions; a link to a picture is not followed inside
    the guide (it would replace the text with no way back) but opened in the system's viewer."""
    from dudu_desktop.ui import guide

    dialog = guide.GuideDialog()
    qtbot.addWidget(dialog)
    doc = dialog.browser.document()
    widths = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                image = fmt.toImageFormat()
                widths.append(image.width())
                assert 0 < image.width() <= guide.PICTURE_WIDTH, image.name()
                assert abs(image.height() - image.width() * 768 / 1366) < 1, image.name()
            it += 1
        block = block.next()
    assert len(widths) >= 12
    assert not dialog.browser.openLinks()
