"""One writer for every table file the bot sends (the /export questions, the audit log, an
event's registrants): an XLSX an office opens as a table and a CSV that opens in columns.

XLSX: a bold header row, frozen, with a filter; columns as wide as their content (capped),
long text wrapped; dates and times are real date cells (naive, in the council's local time:
Excel has no time zones) shown in the reader's way of writing them.

CSV: semicolon-separated with a UTF-8 byte-order mark — what Excel set to Russian or Kazakh
(whose list separator is ";", since "," is their decimal separator) splits into columns and
reads as UTF-8; decimals with the language's separator.

In both, text that starts like a formula stays text: it is never evaluated by a spreadsheet."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})
# Column widths in characters: as wide as the longest line of content, within these bounds.
MIN_WIDTH = 6
MAX_WIDTH = 50
# Long text (a question, an answer) wraps within this width.
WRAP_WIDTH = 60
# Excel's number formats and the CSV's text for dates, by language (the rest: ISO).
_DATE_FORMATS = {"kk": "dd.mm.yyyy", "ru": "dd.mm.yyyy"}
_CSV_DATE_FORMATS = {"kk": "%d.%m.%Y", "ru": "%d.%m.%Y"}
_DECIMAL_COMMA = frozenset({"kk", "ru"})

Row = Sequence[object]


@dataclass(frozen=True)
class Column:
    title: str
    # Long free text: wrapped, up to WRAP_WIDTH wide.
    wrap: bool = False


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Row]


def to_xlsx(
    columns: Sequence[Column], rows: Sequence[Row], title: str, language: str = "en"
) -> bytes:
    """One table in one sheet."""
    return to_workbook([Sheet(title, columns, rows)], language)


def to_workbook(sheets: Sequence[Sheet], language: str = "en") -> bytes:
    """Several tables, one sheet each, in this order."""
    workbook = Workbook()
    first = workbook.active
    if first is not None:
        workbook.remove(first)
    for sheet in sheets:
        _fill(workbook.create_sheet(_sheet_name(sheet.title)), sheet, language)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str) -> str:
    """At most 31 characters, none of []:*?/\\ (Excel's rule for a sheet's name)."""
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "table"


def _fill(sheet: Worksheet, table: Sheet, language: str) -> None:
    columns, rows = table.columns, table.rows
    sheet.append([column.title for column in columns])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    day_format = _DATE_FORMATS.get(language, "yyyy-mm-dd")
    widths = [_width(column.title) for column in columns]
    for row_cells in sheet.iter_rows(min_row=2):
        for index, cell in enumerate(row_cells):
            value = cell.value
            if isinstance(value, datetime):
                cell.number_format = f"{day_format} hh:mm"
                text_width = len(day_format) + 6
            elif isinstance(value, date):
                cell.number_format = day_format
                text_width = len(day_format)
            else:
                text_width = _width("" if value is None else str(value))
            widths[index] = max(widths[index], text_width)
            if columns[index].wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for index, column in enumerate(columns):
        cap = WRAP_WIDTH if column.wrap else MAX_WIDTH
        letter = get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = min(max(widths[index], MIN_WIDTH), cap) + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def to_csv(columns: Sequence[Column], rows: Sequence[Row], language: str = "en") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.title for column in columns])
    day_format = _CSV_DATE_FORMATS.get(language, "%Y-%m-%d")
    comma = language in _DECIMAL_COMMA
    for row in rows:
        writer.writerow([_csv_text(value, day_format, comma) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_text(value: object, day_format: str, comma: bool) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(f"{day_format} %H:%M")
    if isinstance(value, date):
        return value.strftime(day_format)
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if comma else text
    return safe_cell(value)


def _width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)
