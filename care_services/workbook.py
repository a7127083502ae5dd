"""The one path by which carecalc writes .xlsx files: every report, roll, notice, template and export.

Why one path:

- **Formula-safe** (OWASP ASVS 5.2.x, issue 15): text that came from a user or a file is always written as a
  string cell, never as a formula, a number or a link; text that Excel or WPS would take for a formula when it is
  edited (starting with ``= + - @``, a tab or a carriage return, or their full-width forms) also carries Excel's
  "quote prefix", so it is shown exactly as typed and stays text when the cell is edited. Lone surrogates (which
  cannot be written as UTF-8) become U+FFFD instead of a crash.
- **Sheet titles** are made valid (no ``[]:*?/\\``, at most 31 characters, not blank, unique) instead of a 500.
- **Streaming**: xlsxwriter in constant-memory mode writes each row as it comes, so a 100,000-row batch result is
  never held as cell objects (``bench/xlsx_write.py`` measures it against pandas + xlsxwriter).
- **Print-ready** the way a 财政局 files reports: A4 landscape, fit to one page wide, header rows repeated on every
  page, widths fitted to content, 制表单位 / 制表时间 (北京时间) / 审核人 lines, 合计 rows summed from the rounded lines.

Use::

    with ReportBook(target) as book:
        sheet = book.sheet("测算结果")
        sheet.title_line("……名册", width=len(columns))
        sheet.table(columns, rows, total_label="合计")
        sheet.print_setup()
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import numbers
import operator
import os
import re
import shutil
import types
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
import xlsxwriter.utility
import xlsxwriter.worksheet

# China keeps one time zone without daylight saving; a fixed offset needs no tz database on the server.
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")

# What Excel / WPS / LibreOffice would read as the start of a formula (or a DDE payload) when a cell is edited.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_SURROGATES = re.compile("[\ud800-\udfff]")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
TITLE_LIMIT = 31  # Excel's limit for a sheet name

# Number formats used across the reports.
YUAN = "#,##0.00"  # the column header says （元）
WAN = "#,##0.00"  # the column header or the 单位 line says 万元
INTEGER = "#,##0"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
TEXT = "@"

A4 = 9  # xlsxwriter's paper code for A4
HEADER_COLOUR = "#DDEBF7"
REQUIRED_COLOUR = "#C00000"
MIN_WIDTH, MAX_WIDTH = 6, 50


def safe_text(value: str) -> str:
    """Text as it can be stored in the workbook: lone surrogates replaced (the rest is kept as typed)."""
    return _SURROGATES.sub("\ufffd", value) if _SURROGATES.search(value) else value


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique sheet name for ``title``: forbidden characters become '_', at most 31 characters."""
    cleaned = _BAD_TITLE.sub("_", safe_text(str(title))).strip().strip("'") or "Sheet"
    if cleaned.lower() == "history":  # reserved by Excel
        cleaned = "History_"
    lowered = {t.lower() for t in taken}
    candidate, number = cleaned[:TITLE_LIMIT], 1
    while candidate.lower() in lowered:
        number += 1
        suffix = f"({number})"
        candidate = cleaned[:TITLE_LIMIT - len(suffix)] + suffix
    return candidate


def _total_value(column: Column, value: Any, totals: list[float], index: int) -> Any:
    """The value as written (money rounded to the fen), added to the column's total when it is summed."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value != value:
        return value  # numbers.Real: Python and numpy numbers, not numpy's bool_
    if column.kind in ("money", "wan"):
        value = round_fen(float(value))
    if column.total:
        totals[index] += value
    return value


def round_fen(value: float | None) -> float | None:
    """Money rounded to the fen (half up, as 财政 rounds), so printed lines add up to the printed total."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _round_fen(float(value))


@functools.lru_cache(maxsize=65_536)  # amounts repeat (600, 150, 450…): the decimal rounding once per amount
def _round_fen(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def text_width(text: str) -> float:
    """Display width in Excel's character units: a CJK character is about two Latin ones."""
    encoded = len(text.encode("utf-8"))
    return (encoded + len(text)) / 2 + 0.5  # ASCII 1 byte → 1, CJK 3 bytes → 2


def beijing_now() -> dt.datetime:
    return dt.datetime.now(BEIJING)


def made_at(moment: dt.datetime | None = None) -> str:
    """制表时间 in Beijing time (the server's clock is the time of record; naive datetimes are UTC)."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return f"{moment.astimezone(BEIJING):%Y年%m月%d日 %H:%M}（北京时间）"


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, what kind of value it holds and how it is shown."""

    header: str
    kind: str = "text"  # text / money (元, rounded to the fen) / wan (万元, to 0.01) / integer / number / percent / date / id
    num_format: str | None = None
    width: float | None = None  # fixed width; otherwise fitted to the content
    total: bool = False  # summed in the 合计 / 小计 rows
    note: str | None = None  # a comment on the header cell (e.g. the English name and what to enter)
    required: bool = False  # a template's required column: its header in red
    wrap: bool = False  # long text (a quoted clause, a reason) wraps within the width instead of being cut

    @property
    def shown_format(self) -> str | None:
        if self.num_format:
            return self.num_format
        return {"money": YUAN, "wan": WAN, "integer": INTEGER, "percent": PERCENT, "date": DATE,
                "id": TEXT}.get(self.kind)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPED_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_XML_SPECIAL = re.compile(r"[&<>]")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 61 = 1900-03-01 and later: the 1900 leap-year bug is behind us


@functools.lru_cache(maxsize=65_536)  # a sheet repeats the same few texts (是, 否, 待定, a county) many times
def _inline_text(text: str) -> str:
    """A string as the <is><t> of an inline-string cell (escaped the way xlsxwriter and Excel do)."""
    if _ESCAPED_LOOKALIKE.search(text):
        text = _ESCAPED_LOOKALIKE.sub(r"_x005F\1", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    if _XML_SPECIAL.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<is><t{space}>{text}</t></is>"


class StreamingWorksheet(xlsxwriter.worksheet.Worksheet):
    """xlsxwriter's worksheet with one addition for constant-memory mode: rows rendered as XML in one go.

    xlsxwriter spends ~4 µs per cell in its general write path (argument conversion, a cell tuple, then the XML);
    a table of 100,000 rows x 30 columns is 3 million cells. :meth:`ReportSheet.table` renders each row of a
    table as the same ``<row>`` XML xlsxwriter would write (inline strings, format indices, the same escapes)
    and appends it to the sheet's row file; everything else (styles, widths, merges, validation, print set-up,
    charts) stays xlsxwriter's. ``tests/test_workbook.py`` checks both paths read back the same."""

    def append_rendered_rows(self, first_row: int, chunks: Iterable[tuple[int, str]], last_col: int) -> int:
        """Append rendered ``<row>`` elements from ``first_row`` (0-based) on, given as (how many rows, their XML);
        returns how many rows."""
        if not self.constant_memory:
            raise RuntimeError("rendered rows need constant_memory mode")
        if first_row > self.previous_row:
            self._write_single_row(first_row)  # flush the pending row (e.g. the header) first
        write, count = self.fh.write, 0
        for rows, xml in chunks:
            write(xml)
            count += rows
        if count:
            self._check_dimensions(first_row, 0)
            self._check_dimensions(first_row + count - 1, last_col)
            self.previous_row = first_row + count - 1
        return count

    def _write_optimized_sheet_data(self) -> None:
        """xlsxwriter's, but the row file is copied into the sheet's XML as bytes: xlsxwriter reads it back as text
        and encodes it again, ~0.5 s for the ~120 MB of a 100,000-row batch result (bench/cli_round_trip.py)."""
        if self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.close()
        self.fh.flush()  # what the text writer holds goes first; the rows follow it on the same byte stream
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, COPY_BYTES)
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


COPY_BYTES = 1 << 20
RENDER_ROWS = 8192  # rows rendered at once: bounded memory, and long enough columns for per-value rendering
BY_VALUE_FROM = 256  # rows from which each column's distinct values are rendered once (below: each cell)
_ABSENT = object()  # the missing cells of a row shorter than the table: nothing is written there


class ByColumn(list):
    """A table's values column by column (one list per column, all as long as the table), as a batch result
    has them: written without building rows first. ``sheet.table(columns, ByColumn(data))``."""

    def chunks(self, size: int) -> Iterable[list[Sequence]]:
        length = len(self[0]) if self else 0
        for start in range(0, length, size):
            yield [values[start:start + size] for values in self]


def _column_chunks(rows: Iterable[Sequence], size: int) -> Iterable[list[Sequence]]:
    """Rows as column chunks (the cells a short row lacks are ``_ABSENT``)."""
    rows = iter(rows)
    while chunk := [list(values) for values in itertools.islice(rows, size)]:
        yield [list(values) for values in itertools.zip_longest(*chunk, fillvalue=_ABSENT)]


class _ColumnCells:
    """The ``<c>`` elements of one table column, written as xlsxwriter writes them: text as inline strings (quote
    prefix where it would read as a formula), numbers (money rounded to the fen), dates as serial days, blanks
    with the column's format. A column repeats a few values (是/否, 待定, a county, 600.0): each distinct value
    is rendered once and the cells are assembled from those pieces."""

    def __init__(self, column: Column, letter: str, plain: int | None, quoted: int, dated: int):
        """``plain``, ``quoted``, ``dated``: the indices of the column's format, its quote-prefixed and date forms."""
        self.shown = f' s="{plain}"' if plain else ""
        self.quoted = f' s="{quoted}"'
        self.dated = f' s="{dated}"'
        self.blank = f'"{self.shown}/>' if self.shown else ""
        self.money, self.summed = column.kind in ("money", "wan"), column.total
        self.prefix = '<c r="' + letter
        self.texts: dict[str, tuple[str, float]] = {}

    def cell(self, value: Any) -> tuple[str, float | None, Any]:
        """One value as (the element after its reference, its width or None, what it adds to the total or None);
        the element is '' where nothing is written."""
        kind = type(value)
        if kind is str:
            return (*self._text(value), None)
        if value is None or kind.__name__ in ("NAType", "NaTType") or (kind is float and value != value):
            return self.blank, None, None
        if kind is bool or kind.__name__ == "bool_":
            return self._text("是" if value else "否")[0], None, None
        if kind is int or kind is float or (kind.__module__ == "numpy"
                                             and kind.__name__.startswith(("int", "uint", "float"))):
            if value != value or value in (math.inf, -math.inf):
                return self.blank, None, None
            if self.money:
                value = round_fen(float(value))
            width = len(f"{value:,.2f}") if kind is not int else len(f"{value:,}") + 1
            return f'"{self.shown}><v>{value:.16G}</v></c>', width, value if self.summed else None
        if isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
            if value.time() == dt.time():
                value = value.date()
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and value.year >= 1901:
            return f'"{self.dated}><v>{(value - EXCEL_EPOCH).days}</v></c>', 11, None
        # anything else (a time of day, an old date, an object) as its text
        return f'"{self.shown} t="inlineStr">{_inline_text(str(value))}</c>', None, None

    def _text(self, value: str) -> tuple[str, float]:
        known = self.texts.get(value)
        if known is None:
            shown_text = _SURROGATES.sub("\ufffd", value) if _SURROGATES.search(value) else value
            attr = self.quoted if shown_text.startswith(FORMULA_STARTS) else self.shown
            width = (len(shown_text.encode("utf-8")) + len(shown_text)) / 2 + 0.5
            known = (f'"{attr} t="inlineStr">{_inline_text(shown_text)}</c>', width)
            if len(self.texts) < 20_000:  # repeated texts rendered once
                self.texts[value] = known
        return known

    def render(self, values: Sequence, numbers: Sequence[str], fitted: int) -> tuple[list[str], float | None, list]:
        """The column's cells for rows ``numbers`` (Excel's), the widest of the first ``fitted``, and the values
        the column's total adds, in row order."""
        pieces, widths, addends = self._pieces(values)
        prefix = self.prefix
        xml = [prefix + number + piece if piece else "" for number, piece in zip(numbers, pieces)]
        fit = [w for w in widths[:fitted] if w is not None] if fitted else []
        return xml, max(fit, default=None), [a for a in addends if a is not None] if self.summed else []

    def _pieces(self, values: Sequence) -> tuple[list, list, list]:
        """Per cell: the element after the reference, the width, the addend (each distinct value rendered once;
        see :mod:`care_services.distinct`)."""
        if len(values) < BY_VALUE_FROM:  # a short table: cell by cell (and no numpy for a notice)
            rendered = [("", None, None) if value is _ABSENT else self.cell(value) for value in values]
            return [r[0] for r in rendered], [r[1] for r in rendered], [r[2] for r in rendered]
        from care_services.distinct import distinct_values, spread

        codes, distinct = distinct_values(values)
        blank = self.cell(None)
        shown, summed = self.shown, self.summed
        rendered = [("", None, None) if value is _ABSENT
                    # row numbers and counts, often each distinct: made directly
                    else ('"' + shown + "><v>" + str(value) + "</v></c>", len(f"{value:,}") + 1,
                          value if summed else None) if type(value) is int and not self.money and -10**15 < value < 10**15
                    else self.cell(value) for value in distinct]
        return tuple(spread([r[i] for r in rendered], codes, blank[i]) for i in range(3))


# Deflate level of the workbook's zip. zlib's default (6) spent 1.5 s CPU on the 118 MB sheet of a 100,000-row batch
# result, level 1 0.45 s for a file of 12.4 MB instead of 8.7 MB (bench/cli_round_trip.py, issue 19): a workbook is
# written once per request and read at once, so the second counts more than the megabytes. The XML is the same.
ZIP_LEVEL = 1


def _zip_file(*args, **kwargs) -> zipfile.ZipFile:
    return zipfile.ZipFile(*args, compresslevel=ZIP_LEVEL, **kwargs)


class _Workbook(xlsxwriter.Workbook):
    """xlsxwriter's workbook, its zip deflated at :data:`ZIP_LEVEL` (xlsxwriter has no option for the level): its
    own ``_store_workbook``, run with our ZipFile in place of zipfile's."""

    _store_workbook = types.FunctionType(
        xlsxwriter.Workbook._store_workbook.__code__,
        {**xlsxwriter.Workbook._store_workbook.__globals__, "ZipFile": _zip_file},
        "_store_workbook",
    )


class ReportBook:
    """An .xlsx being written (a context manager: the file is complete when the block ends)."""

    def __init__(self, target: str | Path | IO[bytes], *, constant_memory: bool = True):
        self._book = _Workbook(
            str(target) if isinstance(target, Path) else target,
            {
                "constant_memory": constant_memory,
                "strings_to_formulas": False,  # belt and braces: every text goes through write_string anyway
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": True,
                "default_date_format": DATE,
            },
        )
        self._formats: dict[tuple, Any] = {}
        self.constant_memory = constant_memory
        self.sheets: list[ReportSheet] = []

    # the formats are shared and cached by their properties (xlsxwriter wants one object per combination)
    def format(self, **properties) -> Any:
        key = tuple(sorted(properties.items()))
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self._book.add_format({"font_name": "宋体", "font_size": 10, **properties})
        return found

    def sheet(self, title: str) -> ReportSheet:
        name = sheet_title(title, self._titles())
        sheet = ReportSheet(self, self._book.add_worksheet(name, worksheet_class=StreamingWorksheet), name)
        self.sheets.append(sheet)
        return sheet

    def _titles(self) -> list[str]:
        return [s.name for s in self._book.worksheets()]

    def chart(self, kind: str, subtype: str | None = None):
        return self._book.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})

    def chart_sheet(self, title: str, chart) -> None:
        """A chart on a sheet of its own (it prints on one landscape page, never split across pages)."""
        sheet = self._book.add_chartsheet(sheet_title(title, self._titles()))
        sheet.set_chart(chart)
        sheet.set_landscape()
        sheet.set_paper(A4)

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.finish()
        self._book.close()

    def __enter__(self) -> ReportBook:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:  # the caller's error is the one to report; still close xlsxwriter's temporary row files
            try:
                self.close()
            except Exception:  # noqa: BLE001 - the original error is the one to report
                pass


class ReportSheet:
    """A worksheet written top to bottom (``row`` is the next row to write)."""

    def __init__(self, book: ReportBook, worksheet, name: str):
        self.book, self.ws, self.name = book, worksheet, name
        self.row = 0
        self.widths: dict[int, float] = {}
        self.fixed: dict[int, float] = {}
        self.column_formats: dict[int, Any] = {}
        self.header_rows: tuple[int, int] | None = None
        self._print = None

    # -------------------------------------------------------------------------------------------- cells
    def style(self, props: dict | None = None) -> Style:
        return Style(self.book, props or {})

    def cell(self, row: int, col: int, value: Any, fmt: dict | Style | None = None, *, fit: bool = True) -> None:
        """Write one value by its Python type: text always as text, numbers as numbers, dates as dates."""
        style = fmt if isinstance(fmt, Style) else Style(self.book, fmt or {})
        kind = type(value)
        if value is None or kind.__name__ in ("NAType", "NaTType"):
            if style.props:
                self.ws.write_blank(row, col, None, style.plain)
            return
        if kind is bool or kind.__name__ == "bool_":
            value, kind = ("是" if value else "否"), str
        elif kind is int or kind is float or (kind.__module__ == "numpy" and kind.__name__.startswith(("int", "uint", "float"))):
            if value != value:  # NaN: no value
                if style.props:
                    self.ws.write_blank(row, col, None, style.plain)
                return
            self.ws.write_number(row, col, value, style.plain)
            if fit:
                self._fit(col, len(f"{value:,.2f}") if kind is not int else len(f"{value:,}") + 1)
            return
        elif isinstance(value, dt.date) or hasattr(value, "to_pydatetime"):
            if hasattr(value, "to_pydatetime"):
                value = value.to_pydatetime()
            timed = isinstance(value, dt.datetime) and value.time() != dt.time()
            self.ws.write_datetime(row, col, value, style.timed if timed else style.date)
            if fit:
                self._fit(col, 17 if timed else 11)
            return
        text = value if kind is str else str(value)
        if _SURROGATES.search(text):
            text = _SURROGATES.sub("\ufffd", text)
        self.ws.write_string(row, col, text, style.quoted if text.startswith(FORMULA_STARTS) else style.plain)
        if fit:
            self._fit(col, text_width(text))

    def _fit(self, col: int, width: float) -> None:
        if width > self.widths.get(col, 0):
            self.widths[col] = width

    def set_width(self, col: int, width: float) -> None:
        self.fixed[col] = width

    def column_format(self, col: int, props: dict) -> None:
        """A format for the whole column (e.g. text for ID numbers, so what is typed later keeps every digit)."""
        self.column_formats[col] = self.book.format(**props)

    # -------------------------------------------------------------------------------------------- lines
    def title_line(self, text: str, width: int, *, size: int = 16) -> None:
        """The report's title, centred across the table."""
        style = Style(self.book, {"bold": True, "font_size": size, "align": "center", "valign": "vcenter",
                                  "font_name": "黑体"})
        if width > 1:
            self.ws.merge_range(self.row, 0, self.row, width - 1, "", style.plain)
        self.cell(self.row, 0, text, style, fit=False)
        self.ws.set_row(self.row, size * 2)
        self.row += 1

    def line(self, text: str, width: int = 1, *, bold: bool = False, align: str = "left") -> None:
        """A line of text across ``width`` columns (notes, 单位, 制表单位…); never widens the first column."""
        style = Style(self.book, {"bold": bold, "align": align, "valign": "vcenter", "text_wrap": width > 1})
        text = safe_text(str(text))
        if width > 1:
            self.ws.merge_range(self.row, 0, self.row, width - 1, "", style.plain)
            lines = max(1, math.ceil(text_width(text) / max(1.0, self._span_width(width))))
            if lines > 1:
                self.ws.set_row(self.row, 14 * lines)
        self.cell(self.row, 0, text, style, fit=width <= 1)
        self.row += 1

    def _span_width(self, width: int) -> float:
        return sum(self.fixed.get(c, self.widths.get(c, 8.43)) for c in range(width))

    def pairs(self, items: Sequence[tuple[str, Any]], fmt: dict[str, str] | None = None) -> None:
        """Label / value rows (a summary sheet): the label bold, the value with the format named for its label."""
        for label, value in items:
            self.cell(self.row, 0, label, {"bold": True, "border": 1, "bg_color": HEADER_COLOUR})
            self.cell(self.row, 1, value, {"border": 1, "align": "left",
                                           **({"num_format": (fmt or {}).get(label)} if (fmt or {}).get(label) else {})})
            self.row += 1

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def signature(self, unit: str | None = None, *, moment: dt.datetime | None = None, width: int = 6,
                  roles: Sequence[str] = ("制表人", "审核人", "负责人")) -> None:
        """制表单位 / 制表时间 (北京时间) and the signature lines a filed report carries."""
        self.skip()
        self.line(f"制表单位：{unit or '__________________'}", width)
        self.line(f"制表时间：{made_at(moment)}", width)
        self.line("　　　　".join(f"{role}：__________" for role in roles), width)

    # -------------------------------------------------------------------------------------------- tables
    def header(self, columns: Sequence[Column], *, extra: dict | None = None) -> None:
        fmt = {"bold": True, "border": 1, "bg_color": HEADER_COLOUR, "text_wrap": True, "align": "center",
               "valign": "vcenter", **(extra or {})}
        first = self.row
        plain, required = Style(self.book, fmt), Style(self.book, {**fmt, "font_color": REQUIRED_COLOUR})
        for index, column in enumerate(columns):
            self.cell(self.row, index, column.header, required if column.required else plain, fit=False)
            longest = max(text_width(part) for part in re.split(r"[（(]", column.header))  # wraps at the bracket
            self._fit(index, min(longest, 16))
            if column.width:
                self.fixed[index] = column.width
            if column.note:
                self.ws.write_comment(self.row, index, safe_text(column.note), {"x_scale": 2.2, "y_scale": 2.2})
        self.ws.set_row(self.row, 30)
        self.row += 1
        self.header_rows = (first, self.row - 1) if self.header_rows is None else self.header_rows

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence], *, borders: bool = True,
              total_label: str | None = None, freeze: int | None = 1, autofilter: bool = False,
              fit_rows: int | None = None) -> list[float]:
        """The header, then each row (values in column order), then a 合计 row of the columns marked ``total``
        summed from the values written (money rounded to the fen first). Returns the totals per column."""
        self.header(columns)
        first = self.row
        totals = [0.0] * len(columns)
        count = self._rows(columns, self._styles(columns, borders), rows, totals, fit_rows)
        if total_label is not None:
            self.total_row(columns, totals, total_label)
        if freeze is not None and self.header_rows is not None:
            self.ws.freeze_panes(self.header_rows[1] + 1, freeze if freeze else 0)
        if autofilter and count:
            self.ws.autofilter(first - 1, 0, first - 1 + count, len(columns) - 1)
        return totals

    def _styles(self, columns: Sequence[Column], borders: bool) -> list[Style]:
        styles = []
        for column in columns:
            props = {"border": 1} if borders else {}
            if column.shown_format:
                props["num_format"] = column.shown_format
            if column.kind in ("money", "wan", "integer", "number", "percent"):
                props["align"] = "right"
            if column.wrap:
                props.update(text_wrap=True, valign="top")
            styles.append(Style(self.book, props))
        return styles

    def _rows(self, columns: Sequence[Column], styles: list[Style], rows: Iterable[Sequence], totals: list[float],
              fit_rows: int | None) -> int:
        """Write the table body; returns the number of rows. In constant-memory mode the rows are rendered as XML
        a few thousand at a time, column by column (see :class:`StreamingWorksheet` and :class:`_ColumnCells`);
        otherwise cell by cell. ``rows`` are rows, or :class:`ByColumn` (the values column by column)."""
        if not (self.book.constant_memory and isinstance(self.ws, StreamingWorksheet)):
            count = 0
            for count, values in enumerate(zip(*rows) if isinstance(rows, ByColumn) else rows, start=1):
                for index, value in enumerate(values):
                    value = _total_value(columns[index], value, totals, index)
                    self.cell(self.row, index, value, styles[index], fit=fit_rows is None or count <= fit_rows)
                self.row += 1
            return count
        # the formats' indices in the order they have always been made: the plain ones, quoted text, dates
        plain = [s.plain._get_xf_index() if s.plain is not None else None for s in styles]
        quoted = [s.quoted._get_xf_index() for s in styles]
        dated = [s.date._get_xf_index() for s in styles]
        cells = [_ColumnCells(column, xlsxwriter.utility.xl_col_to_name(index), plain[index], quoted[index],
                              dated[index]) for index, column in enumerate(columns)]
        widths, first = self.widths, self.row
        chunks = rows.chunks(RENDER_ROWS) if isinstance(rows, ByColumn) else _column_chunks(rows, RENDER_ROWS)

        def render():
            done = 0
            for chunk in chunks:
                size = len(chunk[0]) if chunk else 0
                numbers = [str(first + done + k) for k in range(1, size + 1)]  # Excel's row numbers (1-based)
                fitted = size if fit_rows is None else max(0, min(size, fit_rows - done))
                rendered = []
                for index, (column, values) in enumerate(zip(cells, chunk)):
                    xml, width, addends = column.render(values, numbers, fitted)
                    rendered.append(xml)
                    if width is not None and width > widths.get(index, 0):
                        widths[index] = width
                    if addends:
                        totals[index] = functools.reduce(operator.add, addends, totals[index])  # in row order
                opened = ['<row r="' + number + '">' for number in numbers]
                yield size, "".join(map("".join, zip(opened, *rendered, itertools.repeat("</row>", size))))
                done += size

        count = self.ws.append_rendered_rows(first, render(), len(columns) - 1)
        self.row = first + count
        return count

    def total_row(self, columns: Sequence[Column], totals: Sequence[float], label: str | Sequence = "合计",
                  shade: str = "#F2F2F2") -> None:
        """A bold 合计 (or 小计) row: ``label`` (or leading cells) then each summed column's total."""
        lead = [label] if isinstance(label, str) else list(label)
        for index, column in enumerate(columns):
            props = {"bold": True, "border": 1, "bg_color": shade}
            if column.shown_format:
                props["num_format"] = column.shown_format
            if index < len(lead):
                self.cell(self.row, index, lead[index], props)
            elif column.total:
                value = totals[index]
                self.cell(self.row, index, round_fen(value) if column.kind in ("money", "wan") else value, props)
            else:
                self.cell(self.row, index, None, props)
        self.row += 1

    def grouped_table(self, columns: Sequence[Column], groups: Iterable[tuple[Sequence, Iterable[Sequence]]], *,
                      total_label: str | Sequence | None = "合计", freeze: int | None = 1) -> list[float]:
        """A table in groups, each followed by its 小计 row, then the 合计 row; both summed from the rounded
        lines. ``groups`` yields (the 小计 row's leading cells, the group's rows)."""
        self.header(columns)
        styles = self._styles(columns, True)
        grand = [0.0] * len(columns)
        for lead, rows in groups:
            totals = [0.0] * len(columns)
            self._rows(columns, styles, rows, totals, None)
            self.total_row(columns, totals, lead, shade="#FAFAFA")
            grand = [g + round_fen(t) if c.kind in ("money", "wan") else g + t for g, t, c in zip(grand, totals, columns)]
        if total_label is not None:
            self.total_row(columns, grand, total_label)
        if freeze is not None and self.header_rows is not None:
            self.ws.freeze_panes(self.header_rows[1] + 1, freeze)
        return grand

    # -------------------------------------------------------------------------------------------- printing
    def print_setup(self, *, landscape: bool = True, fit_width: bool = True, header_rows: tuple[int, int] | None = None,
                    footer: bool = True) -> None:
        """A4, landscape, one page wide, the header rows repeated on every page, page numbers in the footer."""
        self._print = (landscape, fit_width, header_rows or self.header_rows, footer)

    def finish(self) -> None:
        for col in set(self.widths) | set(self.fixed) | set(self.column_formats):
            width = self.fixed.get(col) or min(MAX_WIDTH, max(MIN_WIDTH, self.widths.get(col, 0) + 1.5))
            self.ws.set_column(col, col, width, self.column_formats.get(col))
        if self._print is None:
            return
        landscape, fit_width, header_rows, footer = self._print
        self.ws.set_paper(A4)
        self.ws.set_landscape() if landscape else self.ws.set_portrait()
        self.ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        self.ws.center_horizontally()
        if fit_width:
            self.ws.fit_to_pages(1, 0)
        if header_rows is not None:
            self.ws.repeat_rows(*header_rows)
        if footer:
            self.ws.set_footer("&C第 &P 页，共 &N 页")


class Style:
    """Cell properties and the xlsxwriter formats made from them once: plain, quote-prefixed text, dates."""

    __slots__ = ("book", "props", "_plain", "_quoted", "_date", "_timed")

    def __init__(self, book: ReportBook, props: dict):
        self.book, self.props = book, props
        self._plain = self._quoted = self._date = self._timed = False

    @property
    def plain(self):
        if self._plain is False:
            self._plain = self.book.format(**self.props) if self.props else None
        return self._plain

    @property
    def quoted(self):
        if self._quoted is False:
            self._quoted = self.book.format(**self.props, quote_prefix=True)
        return self._quoted

    @property
    def date(self):
        if self._date is False:
            self._date = self.book.format(**{"num_format": DATE, **self.props})
        return self._date

    @property
    def timed(self):
        if self._timed is False:
            self._timed = self.book.format(**{**self.props, "num_format": "yyyy-mm-dd hh:mm"})
        return self._timed


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def chinese_amount(value: float) -> str:
    """An amount in 元 in capital numerals as a bank or 财政 writes it: 1,234.50 → 人民币壹仟贰佰叁拾肆元伍角整."""
    fen = int(Decimal(str(round_fen(value) or 0)).scaleb(2))
    sign, fen = ("负", -fen) if fen < 0 else ("", fen)
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "人民币零元整"
    words = ""
    if yuan:
        groups, number = [], yuan
        while number:
            groups.append(number % 10000)
            number //= 10000
        pending_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                pending_zero = bool(words)
                continue
            text, zero = "", False
            for position in range(3, -1, -1):
                digit = group // 10 ** position % 10
                if digit == 0:
                    zero = bool(text) or bool(words)
                    continue
                if zero or (pending_zero and not text):
                    text += "零"
                zero = pending_zero = False
                text += _DIGITS[digit] + _SMALL_UNITS[position]
            if words and group < 1000 and not text.startswith("零"):
                text = "零" + text
            words += text + _BIG_UNITS[index]
            pending_zero = group % 10 == 0 and index > 0
        words += "元"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif cents and yuan:
        words += "零"
    if cents:
        words += _DIGITS[cents] + "分"
    else:
        words += "整"
    return f"人民币{sign}{words}"
