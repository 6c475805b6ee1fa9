"""What every table file the bot sends must be like when an office opens it (openpyxl)."""

import io
import struct
from datetime import datetime

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet


def open_sheet(data: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def assert_office_sheet(sheet: Worksheet) -> None:
    """A bold header row, frozen, with a filter over the whole table; every column given a
    width; every date a real date cell with a date format."""
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    for index in range(1, sheet.max_column + 1):
        letter = sheet.cell(row=1, column=index).column_letter
        width = sheet.column_dimensions[letter].width
        assert 6 <= width <= 62, (letter, width)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):  # a date or a date and time
                assert "yyyy" in cell.number_format, cell.number_format


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, read from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
