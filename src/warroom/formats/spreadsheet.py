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


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (header and rows), every cell made safe to open in a spreadsheet."""
    return "".join(csv_chunks(columns, rows))


def csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[object]], *,
               rows_per_chunk: int = 5000) -> Iterator[str]:
    """The same document in pieces of `rows_per_chunk` rows, written as `rows` come (for
    exports of any size)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
