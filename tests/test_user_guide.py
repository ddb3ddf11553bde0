"""docs/使用说明.md: every picture it shows exists (PNG, modest size) and every command it tells a
cadre to type is one the program has."""

import re
import shlex
from pathlib import Path

from dudu_desktop.cli import build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDE = DOCS / "使用说明.md"


def test_every_picture_in_the_guide_exists_and_is_a_modest_png():
    text = GUIDE.read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 12
    for name in pictures:
        path = DOCS / name
        assert path.exists(), name
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 400_000, name


def test_the_commands_in_the_guide_parse():
    text = GUIDE.read_text(encoding="utf-8")
    commands = re.findall(r"`(dudu-desktop\.exe [^`]+)`", text)
    commands += re.findall(r"^(dudu-desktop\.exe .+?)(?:\s{2,}（.*)?$", text, re.M)
    assert len(commands) >= 8
    parser = build_parser()
    for command in commands:
        argv = [a for a in shlex.split(command.replace("\\", "/"))[1:] if a != "[--preview]"]
        if argv == ["--help"]:
            continue
        parser.parse_args(argv)            # SystemExit (exit 2) on a command the program does not have
