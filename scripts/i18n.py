#!/usr/bin/env python3
"""Translation catalogs, with babel.

Source strings are English, wrapped in ``_()`` / ``N_()`` / ``ngettext()``. Translations live in
``dudu_desktop/i18n/po/<locale>/<part>.po``, one file per part of the program (core, ui, reports,
sync, trust) so that parts can be translated independently; ``compile`` merges them into
``dudu_desktop/i18n/locale/<locale>/LC_MESSAGES/dudu.mo``, which the program loads.

    python scripts/i18n.py extract    # write dudu_desktop/i18n/dudu.pot
    python scripts/i18n.py todo       # add new msgids to the right part's .po: empty in zh_CN, copied in en
    python scripts/i18n.py check      # list untranslated strings and placeholder mismatches; exit 1 if any
    python scripts/i18n.py compile    # write the .mo files

``en``: the source strings are English already, so its catalog starts as msgstr = msgid (``todo``
copies them); edit a msgstr there to reword the English interface without touching the code.
``check`` requires both catalogs complete and every translation's placeholders ({name}, {n:,}…)
to be those of its source string.
"""

from __future__ import annotations

import datetime
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dudu_desktop"
I18N = PACKAGE / "i18n"
PO_DIR = I18N / "po"
LOCALE_DIR = I18N / "locale"
DOMAIN = "dudu"
LOCALES = ("zh_CN", "en")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
FIXED_DATE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
PLACEHOLDER = re.compile(r"\{[a-zA-Z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")


def part_of(path: str) -> str:
    parts = Path(path).parts
    for name in ("ui", "reports", "sync"):
        if name in parts:
            return name
    return "core"


def extract() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="dudu-desktop", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(
            message, None, [(str(Path("dudu_desktop") / filename), lineno)], auto_comments=comments, context=context
        )
    return catalog


def load_locale(locale: str) -> dict[str, Catalog]:
    folder = PO_DIR / locale
    out = {}
    for po in sorted(folder.glob("*.po")) if folder.exists() else []:
        with po.open("rb") as fh:
            out[po.stem] = read_po(fh, locale=locale)
    return out


def merged(locale: str) -> Catalog:
    # Fixed header dates: compiling the same .po files always gives the same bytes.
    catalog = Catalog(
        locale=locale,
        domain=DOMAIN,
        charset="utf-8",
        project="dudu-desktop",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
    )
    for part in load_locale(locale).values():
        for message in part:
            if message.id and message.string:
                catalog[message.id] = message
    return catalog


def placeholders(text) -> list[str]:
    texts = text if isinstance(text, (tuple, list)) else (text,)
    return sorted(p for t in texts for p in PLACEHOLDER.findall(t or ""))


def problems(locale: str = "zh_CN") -> list[str]:
    return compare(extract(), merged(locale), locale)


def compare(source: Catalog, translated: Catalog, locale: str) -> list[str]:
    """Untranslated strings and placeholder mismatches of ``translated`` against the ``source`` msgids."""
    out = []
    for message in source:
        if not message.id:
            continue
        found = translated.get(message.id)
        where = message.locations[0][0] if message.locations else "?"
        if found is None or not found.string or (isinstance(found.string, tuple) and not all(found.string)):
            out.append(f"untranslated in {locale}: {message.id!r} ({where})")
        elif placeholders(message.id) != placeholders(found.string) and not isinstance(message.id, tuple):
            out.append(f"placeholders differ in {locale}: {message.id!r} → {found.string!r}")
        elif isinstance(message.id, tuple) and set(placeholders(message.id[0])) != set(placeholders(found.string)):
            out.append(f"placeholders differ in {locale}: {message.id!r} → {found.string!r}")
    return out


def todo(locale: str = "zh_CN") -> int:
    """Add the source strings missing from ``locale``'s catalogs (to the part of their first use):
    empty for a translator in zh_CN, copied from the English source in en."""
    copy = locale == "en"
    source = extract()
    translated = merged(locale)
    parts = load_locale(locale)
    added = 0
    for message in source:
        if not message.id or translated.get(message.id):
            continue
        name = part_of(message.locations[0][0]) if message.locations else "core"
        catalog = parts.setdefault(
            name,
            Catalog(
                locale=locale,
                domain=DOMAIN,
                charset="utf-8",
                project="dudu-desktop",
                creation_date=FIXED_DATE,
                revision_date=FIXED_DATE,
            ),
        )
        existing = catalog.get(message.id)
        if existing is None:
            if copy:
                string = message.id
            else:
                string = "" if not isinstance(message.id, tuple) else ("", "")
            catalog.add(message.id, string, locations=message.locations)
            added += 1
        elif copy:  # an en entry left empty: the English source is its text
            existing.string = message.id
            added += 1
    for name, catalog in parts.items():
        path = PO_DIR / locale / f"{name}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, sort_output=True, include_lineno=False)
    return added


def compiled(locale: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, merged(locale))
    return buf.getvalue()


def mo_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def compile_all() -> None:
    for locale in LOCALES:
        path = mo_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(compiled(locale))


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        with (I18N / f"{DOMAIN}.pot").open("wb") as fh:
            write_po(fh, extract(), width=0, sort_output=True, include_lineno=False)
    elif command == "todo":
        for locale in argv[1:] or LOCALES:
            added = todo(locale)
            what = "copied from the source" if locale == "en" else "to translate added"
            print(f"{locale}: {added} strings {what}")
    elif command == "check":
        failed = False
        for locale in argv[1:] or LOCALES:
            found = problems(locale)
            print("\n".join(found) or f"{locale} catalog complete")
            failed = failed or bool(found)
        return 1 if failed else 0
    elif command == "compile":
        compile_all()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
