"""People's text as data: the characters that could act on a terminal or a document.

Titles, timeline text and customer names are typed by anyone, pasted from anywhere, or
sent by an alert source. They are kept as written, except NUL (PostgreSQL cannot store
it); terminals show the other control characters escaped (`escape_controls`) and
documents leave them out (`strip_controls`), so no text can move the cursor, change
colours, open a hyperlink or reverse the reading direction of what follows it.
"""

from __future__ import annotations

import re

from warroom.domain.errors import Problem

# C0 and C1 control characters except tab and newline, DEL, and the bidirectional
# controls (embeddings, overrides, isolates, marks) that reorder how text reads.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """Control characters written as visible escapes: ESC becomes the four characters \\x1b."""
    return _CONTROLS.sub(_visible, text)


def strip_controls(text: str) -> str:
    """Control characters removed (documents: reports, notices, the status page)."""
    return _CONTROLS.sub("", text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text_problem(field: str, value: str | None) -> Problem | None:
    """Why `value` cannot be stored, or None. Only NUL is refused: it ends strings in C
    and PostgreSQL refuses it, so a record holding it could not be copied or exported."""
    if value is not None and "\x00" in value:
        return Problem(
            field,
            "nul_character",
            "the text contains a NUL character (\\x00), which cannot be stored",
        )
    return None
