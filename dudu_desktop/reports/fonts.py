"""TrueType fonts for the PDF builders, registered with reportlab under logical names.

=======  =========================================  =====================================
name     Windows system file (first found)          bundled fallback (``resources/fonts``)
=======  =========================================  =====================================
XBS      方正小标宋: FZXBSJW.TTF, FZXBSK.TTF, …       Noto Serif SC Bold (no free 小标宋)
HEI      simhei.ttf (黑体)                           WenQuanYi Micro Hei (wqy-microhei.ttc)
KAI      simkai.ttf, 楷体_GB2312 (楷体)              LXGW WenKai
SONG     simsun.ttc face 0, simsun.ttf (宋体)        Noto Serif SC Regular
FANG     simfang.ttf, 仿宋_GB2312 (仿宋)             Noto Serif SC Regular (no free 仿宋)
=======  =========================================  =====================================

GB/T 9704-2012 sets the title in 小标宋 (XBS), the body in 仿宋 (FANG), 一级 headings in 黑体
(HEI), 二级 in 楷体 (KAI) and the page number in 宋体 (SONG). File names are matched without
regard to case, as Windows does. Every font is embedded (subset) in the PDF; the built-in CID
font STSong-Light is never used because it is not embedded and prints blank on many
machines. ``<b>`` maps to the bundled bold face (LXGW WenKai Bold, Noto Serif SC Bold); the
Windows faces have no bold file, so their bold is the regular face.

A character missing from a font is drawn in the first registered font that has it
(:func:`font_for`): WenQuanYi Micro Hei lacks 㐂 and 𠮷, LXGW WenKai has both. When no font
has it, :func:`font_for` raises :class:`~dudu_desktop.domain.problems.Refused` rather than
print a gap.

The system font directory is ``%WINDIR%\\Fonts`` (and the user's
``%LOCALAPPDATA%\\Microsoft\\Windows\\Fonts``) on Windows and none elsewhere; the
``font_dir`` argument or the ``DUDU_FONT_DIR`` environment variable overrides it.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase import ttfonts as _ttfonts
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import N_
from dudu_desktop.reports.lang import _

HEI, KAI, SONG, FANG, XBS = "HEI", "KAI", "SONG", "FANG", "XBS"
FONT_DIR_ENV = "DUDU_FONT_DIR"

#: what each logical font stands for, as the print preview names it
ROLE_LABELS = {
    XBS: N_("Xiaobiaosong (title)"),
    FANG: N_("FangSong (body)"),
    HEI: N_("Hei (headings)"),
    KAI: N_("Kai (sub-headings)"),
    SONG: N_("Song (page numbers)"),
}


@dataclass(frozen=True)
class FontFile:
    """One face of a TrueType file (``index`` selects the face of a .ttc collection)."""

    path: Path
    index: int = 0


#: Windows file names per logical font, in order of preference
_SYSTEM_FILES = {
    HEI: (FontFile(Path("simhei.ttf")),),
    KAI: (FontFile(Path("simkai.ttf")), FontFile(Path("楷体_GB2312.ttf")), FontFile(Path("kaiti_GB2312.ttf"))),
    SONG: (FontFile(Path("simsun.ttc"), 0), FontFile(Path("simsun.ttf"))),
    FANG: (
        FontFile(Path("simfang.ttf")),
        FontFile(Path("仿宋_GB2312.ttf")),
        FontFile(Path("FS_GB2312.ttf")),
        FontFile(Path("fangsong_GB2312.ttf")),
    ),
    XBS: (
        FontFile(Path("FZXBSJW.TTF")),
        FontFile(Path("FZXBSK.TTF")),
        FontFile(Path("方正小标宋简体.ttf")),
        FontFile(Path("方正小标宋_GBK.ttf")),
    ),
}
NOTO_REGULAR, NOTO_BOLD = FontFile(Path("NotoSerifSC-Regular.ttf")), FontFile(Path("NotoSerifSC-Bold.ttf"))
WENKAI_REGULAR, WENKAI_BOLD = FontFile(Path("LXGWWenKai-Regular.ttf")), FontFile(Path("LXGWWenKai-Bold.ttf"))
MICROHEI = FontFile(Path("wqy-microhei.ttc"), 0)
_BUNDLED_FILES = {
    HEI: (MICROHEI, None),
    KAI: (WENKAI_REGULAR, WENKAI_BOLD),
    SONG: (NOTO_REGULAR, NOTO_BOLD),
    FANG: (NOTO_REGULAR, NOTO_BOLD),
    XBS: (NOTO_BOLD, None),
}
#: the bundled fonts, tried in this order for a character the chosen fonts lack
_FALLBACK_FILES = (("FALLBACK-WENKAI", WENKAI_REGULAR), ("FALLBACK-NOTO", NOTO_REGULAR), ("FALLBACK-HEI", MICROHEI))
_FONT_NAMES = {  # bundled file → the name the print preview shows
    NOTO_REGULAR.path.name: "Noto Serif SC",
    NOTO_BOLD.path.name: "Noto Serif SC Bold",
    WENKAI_REGULAR.path.name: "LXGW WenKai",
    MICROHEI.path.name: "WenQuanYi Micro Hei",
}


@dataclass(frozen=True)
class FontSet:
    """The registered fonts: logical name → (regular face, bold face or ``None``).

    Use the attributes ``hei``, ``kai``, ``song``, ``fang``, ``xbs`` (the reportlab font
    names) in styles; ``bold_name(name)`` is the name of the bold face.
    """

    faces: dict[str, tuple[FontFile, FontFile | None]]

    hei = HEI
    kai = KAI
    song = SONG
    fang = FANG
    xbs = XBS

    def file(self, name: str) -> FontFile:
        return self.faces[name][0]

    def bold_name(self, name: str) -> str:
        return f"{name}-Bold" if self.faces[name][1] else name

    def substitutes(self) -> dict[str, str]:
        """Logical names printed in a bundled stand-in → the stand-in's name (empty when
        every Windows font was found)."""
        bundled = bundled_font_dir().resolve()
        return {
            name: _FONT_NAMES.get(regular.path.name, regular.path.stem)
            for name, (regular, _bold) in self.faces.items()
            if regular.path.resolve().parent == bundled
        }


def substitutes_note(fontset: FontSet) -> str:
    """One line for the print preview: which fonts stand in for the Windows ones, or ''."""
    subs = fontset.substitutes()
    if not subs:
        return ""
    order = [XBS, FANG, HEI, KAI, SONG]
    parts = [_("{role} → {font}").format(role=_(ROLE_LABELS[n]), font=subs[n]) for n in order if n in subs]
    return _("Fonts not installed, printed with free substitutes: {list}").format(list=_("; ").join(parts))


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


def _search_dirs(sysdir: Path | None) -> list[Path]:
    """``sysdir``, and on Windows without an override the per-user font folder, where
    fonts installed "for me only" (方正小标宋 often is) go."""
    dirs = [sysdir] if sysdir is not None else []
    if sys.platform == "win32" and not os.environ.get(FONT_DIR_ENV) and os.environ.get("LOCALAPPDATA"):
        dirs.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
    return dirs


def _listing(directory: Path) -> dict[str, Path]:
    """Lower-case file name → path of the files in ``directory`` (Windows names ignore case)."""
    try:
        return {entry.name.lower(): Path(entry.path) for entry in os.scandir(directory) if entry.is_file()}
    except OSError:
        return {}


def _bundled(name: str) -> tuple[FontFile, FontFile | None]:
    base = bundled_font_dir()
    regular, bold = _BUNDLED_FILES[name]
    return (FontFile(base / regular.path, regular.index), FontFile(base / bold.path, bold.index) if bold else None)


def resolve_fonts(font_dir: str | os.PathLike | None = None) -> FontSet:
    """Choose the files without registering anything: system files present, else bundled."""
    listings = [_listing(d) for d in _search_dirs(system_font_dir(font_dir))]
    faces = {}
    for name, candidates in _SYSTEM_FILES.items():
        found = next(
            (
                FontFile(listing[c.path.name.lower()], c.index)
                for c in candidates
                for listing in listings
                if c.path.name.lower() in listing
            ),
            None,
        )
        faces[name] = (found, None) if found else _bundled(name)
    return FontSet(faces)


def _load(name: str, face: FontFile) -> TTFont:
    return TTFont(name, str(face.path), subfontIndex=face.index)


_lock = threading.Lock()
_registered: tuple[Path | None, FontSet] | None = None


def register_fonts(font_dir: str | os.PathLike | None = None) -> FontSet:
    """Register XBS/HEI/KAI/SONG/FANG (and their bold faces) with reportlab, once per process.

    Later calls return the same :class:`FontSet`. reportlab cannot re-point a registered
    name, so asking for a different font directory afterwards raises ``RuntimeError``.
    A system file that reportlab cannot read falls back to the bundled font.
    """
    global _registered
    sysdir = system_font_dir(font_dir)
    with _lock:
        if _registered is not None:
            if _registered[0] != sysdir:
                raise RuntimeError(f"fonts already registered from {_registered[0]}, cannot switch to {sysdir}")
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
            pdfmetrics.registerFontFamily(name, normal=name, bold=bold_name, italic=name, boldItalic=bold_name)
            # registerFontFamily's last mapping wins the reverse lookup: make the
            # regular face read as regular, not italic, when a paragraph starts in it
            if bold_name != name:
                addMapping(name, 1, 0, bold_name)
            addMapping(name, 0, 0, name)
        _registered = (sysdir, fontset)
        return fontset


# ---------------------------------------------------------------- per-glyph fallback

_fallback_lock = threading.Lock()


def _covers(font_name: str, code: int) -> bool:
    return code in pdfmetrics.getFont(font_name).face.charToGlyph


def _fallback_names():
    """The bundled fallback fonts, registered on first use."""
    base = bundled_font_dir()
    for name, face in _FALLBACK_FILES:
        with _fallback_lock:
            try:
                pdfmetrics.getFont(name)
            except KeyError:
                pdfmetrics.registerFont(_load(name, FontFile(base / face.path, face.index)))
        yield name


@lru_cache(maxsize=1 << 14)
def font_for(char: str, preferred: str) -> str:
    """The font to draw ``char`` in: ``preferred`` when it has the glyph, else the first of
    FANG, SONG, KAI, HEI, XBS, then the bundled fonts, that has it. White space and control
    characters stay in ``preferred``. Raises :class:`Refused` when no font has ``char``."""
    register_fonts()
    code = ord(char)
    if _covers(preferred, code) or char.isspace() or code < 0x20:
        return preferred
    for name in (FANG, SONG, KAI, HEI, XBS):
        if _covers(name, code):
            return name
    for name in _fallback_names():
        if _covers(name, code):
            return name
    raise Refused(
        _(
            "The character “{char}” (U+{code:04X}) is in none of the fonts, so it cannot be printed. "
            "Install a font that has it, or write the text without it."
        ).format(char=char, code=code)
    )


def runs(text: str, preferred: str) -> list[tuple[str, str]]:
    """``text`` cut into (font, piece) runs, each character in :func:`font_for`'s font."""
    out: list[tuple[str, str]] = []
    for char in text:
        font = font_for(char, preferred)
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + char)
        else:
            out.append((font, char))
    return out


# ---------------------------------------------------------------- ToUnicode beyond the BMP


def _utf16_hex(code: int) -> str:
    """A code point as the UTF-16BE hex a ToUnicode CMap wants: ``20BB7`` → ``D842DFB7``."""
    return chr(code).encode("utf-16-be").hex().upper()


def _to_unicode_cmap(fontname: str, subset) -> str:
    """reportlab's ToUnicode CMap, but with each code written as UTF-16BE: reportlab writes
    ``%04X``, which maps 𠮷 (U+20BB7) to the five digits ``<20BB7>``, read by viewers as
    two wrong characters (copy and search fail). Same output for the BMP."""
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


_ttfonts.makeToUnicodeCMap = _to_unicode_cmap
