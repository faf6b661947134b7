"""Reading Excel imports (.xlsx, Chinese headers): every problem by sheet, row and column.

Shared by the contest roster import and the worker and certificate import. Rows are validated by
marshmallow schemas; callers collect every error first and import nothing until the file is clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import BinaryIO

from marshmallow import Schema, ValidationError


MISSING = "Missing data for required field."  # marshmallow's wording
REQUIRED = "必填 · required"


def open_workbook(file: BinaryIO | bytes):
    """The workbook, or None when the file is not a readable .xlsx."""
    from openpyxl import load_workbook

    try:
        return load_workbook(BytesIO(file) if isinstance(file, bytes) else file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return None


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet} 第{self.row}行 「{self.column}」: {self.message}"

    def as_json(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


def cell(value) -> object:
    """A cell as text, the way the person who typed it sees it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()  # a date cell: openpyxl gives a midnight datetime
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 0001 typed as a number as 1.0: keep what people see
    return str(value).strip() if not isinstance(value, bool) else value


def read_sheet(workbook, sheet: str, columns: dict[str, str], schema: Schema, errors: list[RowError],
               *, required: bool) -> list[tuple[int, dict]]:
    """Rows of one sheet loaded by ``schema`` as ``(Excel row number, data)``. Problems go to
    ``errors`` by row and column header; a bad row still yields its good cells, so later cross
    checks can report its other problems too."""
    if sheet not in workbook.sheetnames:
        if required:
            errors.append(RowError(sheet, 1, sheet, f"缺少工作表「{sheet}」 · the workbook has no sheet {sheet!r}"))
        return []
    rows = workbook[sheet].iter_rows(values_only=True)
    header = [(cell(h) or "") for h in next(rows, ())]
    unknown = [h for h in header if h and h not in columns]
    for h in unknown:
        errors.append(RowError(sheet, 1, h, f"未知列 · unknown column; expected {'、'.join(columns)}"))
    missing = [h for h, name in columns.items() if schema.fields[name].required and h not in header]
    for h in missing:
        errors.append(RowError(sheet, 1, h, "缺少必填列 · required column missing"))
    if unknown or missing:
        return []
    header_of = {columns[h]: h for h in header if h}
    loaded = []
    for number, values in enumerate(rows, start=2):
        raw = {columns[h]: cell(v) for h, v in zip(header, values) if h and cell(v) not in (None, "")}
        if not raw:
            continue  # a blank line
        try:
            loaded.append((number, schema.load(raw)))
        except ValidationError as exc:
            for name, reasons in sorted(exc.messages.items()):
                errors.append(RowError(sheet, number, header_of.get(name, name),
                                       " ".join(REQUIRED if r == MISSING else str(r) for r in reasons)))
            # Keep the cells that were fine, so the cross checks below report this row's other problems too.
            loaded.append((number, exc.valid_data or {}))
    return loaded
