"""The window's own words for the refusals that the services phrase for the command line.

A few refusals tell what to do in command-line terms (``import --allow-unsealed``, the command
``import-registration FILE``). The window says the same in its own terms instead: the tick box or
the button to use, by the name it shows. :func:`in_window_words` recognises such a message by its
msgid (translated in the active language, its ``{placeholders}`` matching any text) and rewrites it
with the window's wording and the same values; every other message passes unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dudu_desktop.i18n import N_, _

# the services' msgids, exactly as they are written there (sync/seal.py, sync/export.py)
UNSEALED = N_(
    "{name} is not sealed (not signed and encrypted by a registered village). The township refuses "
    "unsealed bundles; an administrator may import one on purpose (import --allow-unsealed)."
)
NO_KEYS = N_(
    "This village has no keys yet, so its bundle cannot be sealed. An administrator imports the "
    "registration file the township issued (button “Import registration file…” on this page, or the "
    "command import-registration FILE); nothing was written."
)

# the labels of the widgets the window's wording names (the same msgids as the widgets themselves)
ALLOW_UNSEALED_BOX = N_("Allow unsealed bundles (administrators only)")
IMPORT_REGISTRATION_BUTTON = N_("Import registration file…")


@dataclass(frozen=True)
class Wording:
    cli: str  # the service's msgid
    window: str  # the window's msgid: the same {placeholders}, plus the widget's name as {widget}
    widget: str  # the msgid of the widget's label
    admin_only: str | None = None  # the window's msgid for someone who is not an administrator


WORDINGS = (
    Wording(
        UNSEALED,
        N_(
            "{name} is not sealed (not signed and encrypted by a registered village). The township refuses "
            "unsealed bundles; an administrator may import one on purpose by ticking “{widget}” above."
        ),
        ALLOW_UNSEALED_BOX,
        N_(
            "{name} is not sealed (not signed and encrypted by a registered village). The township refuses "
            "unsealed bundles; only an administrator may import one on purpose, by ticking “{widget}” on "
            "this page (shown to administrators)."
        ),
    ),
    Wording(
        NO_KEYS,
        N_(
            "This village has no keys yet, so its bundle cannot be sealed. An administrator imports the "
            "registration file the township issued with the button “{widget}” on this page; nothing was "
            "written."
        ),
        IMPORT_REGISTRATION_BUTTON,
    ),
)


def _pattern(template: str) -> re.Pattern:
    """The translated template as a regular expression: each ``{name}`` captures any text."""
    parts = re.split(r"\{(\w+)\}", template)
    out = []
    for i, part in enumerate(parts):
        out.append(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)")
    return re.compile("".join(out), re.S)


def in_window_words(message: str, *, administrator: bool = True) -> str:
    """``message`` with every command-line phrasing replaced by the window's (see the module doc)."""
    for w in WORDINGS:
        m = _pattern(_(w.cli)).search(message)
        if m is None:
            continue
        window = w.window if administrator or w.admin_only is None else w.admin_only
        said = _(window).format(widget=_(w.widget), **m.groupdict())
        message = message[: m.start()] + said + message[m.end() :]
    return message
