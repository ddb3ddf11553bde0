"""JSON from files a stranger may have written (a bundle's header and description, a registration
file, the annual report's texts): size and nesting depth are bounded *before* parsing, so a file
of ``[[[[…`` is refused with a :class:`ValueError` instead of exhausting the parser's recursion
(``RecursionError``) or the memory. Pure: no I/O."""

from __future__ import annotations

import json
import re

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def depth_of(text: str) -> int:
    """The deepest nesting of ``[``/``{`` outside strings (an unclosed string counts its brackets:
    such text is not JSON anyway)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif token in "]}":
            depth -= 1
    return deepest


def loads(text: str | bytes, *, max_bytes: int, max_depth: int):
    """``json.loads`` after checking the size (UTF-8 bytes) and the nesting depth; raises
    ``ValueError`` (``UnicodeDecodeError`` and ``json.JSONDecodeError`` are ValueErrors too)."""
    size = len(text) if isinstance(text, (bytes, bytearray)) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ValueError(f"JSON larger than {max_bytes} bytes")
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8-sig")
    if depth_of(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError as exc:  # not reachable within max_depth; kept as a last guard
        raise ValueError("JSON nested too deeply") from exc
