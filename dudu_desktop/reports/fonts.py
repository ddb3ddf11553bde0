"""TrueType fonts for the PDF builders, registered with reportlab under logical names.

=======  ==========================  ======================================
name     Windows system file          bundled fallback (``resources/fonts``)
=======  ==========================  ======================================
HEI      simhei.ttf (黑体)            WenQuanYi Micro Hei (wqy-microhei.ttc)
KAI      simkai.ttf (楷体)            LXGW WenKai
SONG     simsun.ttc face 0 (宋体)     LXGW WenKai (no free 小标宋)
FANG     simfang.ttf (仿宋)           LXGW WenKai (no free 仿宋)
=======  ==========================  ======================================

Every font is embedded (subset) in the PDF; the built-in CID font STSong-Light is never
used because it is not embedded and prints blank on many machines. ``<b>`` maps to
LXGW WenKai Bold for the WenKai-backed names; the Windows faces have no bold file, so
their bold is the regular face.

The system font directory is ``%WINDIR%\\Fonts`` on Windows and none elsewhere; the
``font_dir`` argument or the ``DUDU_FONT_DIR`` environment variable overrides it.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

HEI, KAI, SONG, FANG = "HEI", "KAI", "SONG", "FANG"
FONT_DIR_ENV = "DUDU_FONT_DIR"


@dataclass(frozen=True)
class FontFile:
    """One face of a TrueType file (``index`` selects the face of a .ttc collection)."""

    path: Path
    index: int = 0


_SYSTEM_FILES = {
    HEI: FontFile(Path("simhei.ttf")),
    KAI: FontFile(Path("simkai.ttf")),
    SONG: FontFile(Path("simsun.ttc"), 0),
    FANG: FontFile(Path("simfang.ttf")),
}
_BUNDLED_FILES = {
    HEI: (FontFile(Path("wqy-microhei.ttc"), 0), None),
    KAI: (FontFile(Path("LXGWWenKai-Regular.ttf")), FontFile(Path("LXGWWenKai-Bold.ttf"))),
    SONG: (FontFile(Path("LXGWWenKai-Regular.ttf")), FontFile(Path("LXGWWenKai-Bold.ttf"))),
    FANG: (FontFile(Path("LXGWWenKai-Regular.ttf")), FontFile(Path("LXGWWenKai-Bold.ttf"))),
}


@dataclass(frozen=True)
class FontSet:
    """The registered fonts: logical name → (regular face, bold face or ``None``).

    Use the attributes ``hei``, ``kai``, ``song``, ``fang`` (the reportlab font names)
    in styles; ``bold_name(name)`` is the name of the bold face.
    """

    faces: dict[str, tuple[FontFile, FontFile | None]]

    hei = HEI
    kai = KAI
    song = SONG
    fang = FANG

    def file(self, name: str) -> FontFile:
        return self.faces[name][0]

    def bold_name(self, name: str) -> str:
        return f"{name}-Bold" if self.faces[name][1] else name


def resources_dir() -> Path:
    """``resources/`` next to the package, or inside the PyInstaller bundle when frozen."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def bundled_font_dir() -> Path:
    return resources_dir() / "fonts"


def system_font_dir(font_dir: str | os.PathLike | None = None) -> Path | None:
    """Where to look for the Windows fonts: argument, ``DUDU_FONT_DIR``, ``%WINDIR%\\Fonts``."""
    if font_dir is None:
        font_dir = os.environ.get(FONT_DIR_ENV) or None
    if font_dir is None and sys.platform == "win32":
        font_dir = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    return Path(font_dir) if font_dir is not None else None


def _bundled(name: str) -> tuple[FontFile, FontFile | None]:
    base = bundled_font_dir()
    regular, bold = _BUNDLED_FILES[name]
    return (
        FontFile(base / regular.path, regular.index),
        FontFile(base / bold.path, bold.index) if bold else None,
    )


def resolve_fonts(font_dir: str | os.PathLike | None = None) -> FontSet:
    """Choose the files without registering anything: system files present, else bundled."""
    sysdir = system_font_dir(font_dir)
    faces = {}
    for name, sysfile in _SYSTEM_FILES.items():
        candidate = sysdir / sysfile.path if sysdir else None
        if candidate is not None and candidate.is_file():
            faces[name] = (FontFile(candidate, sysfile.index), None)
        else:
            faces[name] = _bundled(name)
    return FontSet(faces)


def _load(name: str, face: FontFile) -> TTFont:
    return TTFont(name, str(face.path), subfontIndex=face.index)


_lock = threading.Lock()
_registered: tuple[Path | None, FontSet] | None = None


def register_fonts(font_dir: str | os.PathLike | None = None) -> FontSet:
    """Register HEI/KAI/SONG/FANG (and their bold faces) with reportlab, once per process.

    Later calls return the same :class:`FontSet`. reportlab cannot re-point a registered
    name, so asking for a different font directory afterwards raises ``RuntimeError``.
    A system file that reportlab cannot read falls back to the bundled font.
    """
    global _registered
    sysdir = system_font_dir(font_dir)
    with _lock:
        if _registered is not None:
            if _registered[0] != sysdir:
                raise RuntimeError(
                    f"fonts already registered from {_registered[0]}, cannot switch to {sysdir}"
                )
            return _registered[1]
        chosen = resolve_fonts(sysdir)
        faces = {}
        for name, (regular, bold) in chosen.faces.items():
            try:
                font = _load(name, regular)
            except (TTFError, OSError):
                regular, bold = _bundled(name)
                font = _load(name, regular)
            pdfmetrics.registerFont(font)
            if bold is not None:
                pdfmetrics.registerFont(_load(f"{name}-Bold", bold))
            faces[name] = (regular, bold)
        fontset = FontSet(faces)
        for name in faces:
            bold_name = fontset.bold_name(name)
            pdfmetrics.registerFontFamily(
                name, normal=name, bold=bold_name, italic=name, boldItalic=bold_name
            )
            # registerFontFamily's last mapping wins the reverse lookup: make the
            # regular face read as regular, not italic, when a paragraph starts in it
            if bold_name != name:
                addMapping(name, 1, 0, bold_name)
            addMapping(name, 0, 0, name)
        _registered = (sysdir, fontset)
        return fontset
