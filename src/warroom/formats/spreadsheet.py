"""CSV that finance opens in a spreadsheet: a cell never runs as a formula.

A cell that begins with =, +, -, @, a tab or a carriage return is read by spreadsheet
programs as a formula (`=HYPERLINK(...)` in a customer's name would run when finance
opens the credits file). As OWASP recommends for CSV injection, such a cell is written
with a leading single quote, which spreadsheets show as text; the csv module quotes the
rest. Figures warroom computes never begin with those characters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # each start is one character


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(row: Iterable[object]) -> list[str]:
    """`safe_cell` of every value (inlined: an export writes millions of cells)."""
    return [
        "'" + text if text[:1] in _FORMULA_FIRST else text
        for text in (
            "" if value is None else value if type(value) is str else str(value) for value in row
        )
    ]


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (header and rows), every cell made safe to open in a spreadsheet."""
    return "".join(csv_chunks(columns, rows))


def csv_chunks(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, rows_per_chunk: int = 5000
) -> Iterator[str]:
    """The same document in pieces of `rows_per_chunk` rows, written as `rows` come (for
    exports of any size)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(columns))
    for count, row in enumerate(rows, start=1):
        writer.writerow(safe_row(row))
        if count % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
