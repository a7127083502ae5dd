"""Limits a workbook must keep before anything parses it (OWASP ASVS 12.1): an .xlsx is a zip of XML, and a small
file can unpack to gigabytes (a decompression bomb) or declare a sheet of a million rows by 16,384 columns that a
reader fills in as a dense grid.

``check_workbook`` reads only the zip's directory and then streams each worksheet's XML through a bounded inflater,
counting rows and the widest row as it goes, and stops at the first limit passed. Memory stays at one chunk; no
cell value is kept. The web uses ``WEB`` (what a browser upload needs); the command line ``COMMAND_LINE``, larger.
Every read path goes through care_services.spreadsheet.read_sheets, which calls it.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

MB = 1024 * 1024
CHUNK = 1 * MB


@dataclass(frozen=True)
class UploadLimits:
    member_bytes: int  # each part of the zip, unpacked
    total_bytes: int  # all parts together, unpacked
    ratio: float  # unpacked / packed size of a part larger than RATIO_FLOOR
    rows: int  # of any sheet
    columns: int  # of any sheet
    cells: int  # rows x columns of any sheet: a reader lays the sheet out as a full grid
    members: int  # parts in the zip

    def scaled(self, **changes) -> "UploadLimits":
        return replace(self, **changes)


RATIO_FLOOR = 1 * MB  # a small part (styles, a short sheet) may compress very well; only large ones are held to it
WEB = UploadLimits(member_bytes=50 * MB, total_bytes=100 * MB, ratio=200, rows=100_000, columns=1_000,
                   cells=5_000_000, members=500)
COMMAND_LINE = UploadLimits(member_bytes=1024 * MB, total_bytes=2048 * MB, ratio=1000, rows=1_048_576,
                            columns=16_384, cells=100_000_000, members=5_000)


class UploadTooLarge(ValueError):
    """A workbook over a limit. ``status`` is 413 for bytes, 422 for a sheet's shape; the reason in both languages."""

    def __init__(self, reason_zh: str, reason_en: str, status: int = 413):
        super().__init__(f"{reason_zh} / {reason_en}")
        self.reason_zh, self.reason_en, self.status = reason_zh, reason_en, status


class CheckedWorkbook(io.BytesIO):
    """The bytes of a workbook already held to limits (the web's, stricter); read_sheets need not check again."""


# <row ...>, <c ...> (any namespace prefix); the r="..." reference where there is one
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{0,3})(\d{1,7})["']""")
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.I)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _open(source) -> tuple[zipfile.ZipFile, object]:
    if isinstance(source, (str, Path)):
        return zipfile.ZipFile(source), None
    position = source.tell()
    return zipfile.ZipFile(source), position


def _mb(count: int) -> str:
    return f"{count / MB:,.0f} MB"


def check_sizes(archive: zipfile.ZipFile, limits: UploadLimits, what: tuple[str, str] = ("工作簿", "the workbook")) -> None:
    """Refuse a zip whose directory declares too many parts, a part or a total unpacked past the limits, or an
    abnormal compression ratio, before any part is inflated. zipfile never inflates a part past its declared size
    (and checks its CRC), so the directory bounds what reading it costs. ``what`` names the file in the messages."""
    zh, en = what
    parts = archive.infolist()
    if len(parts) > limits.members:
        raise UploadTooLarge(f"{zh}的组成部分过多（{len(parts)}个，上限{limits.members}）",
                             f"{en} has too many parts ({len(parts)}; at most {limits.members})")
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > limits.member_bytes:
            raise UploadTooLarge(f"{zh}解压后过大（{part.filename}为{_mb(part.file_size)}，上限{_mb(limits.member_bytes)}）",
                                 f"{en} unpacks too large ({part.filename}: {_mb(part.file_size)}; "
                                 f"at most {_mb(limits.member_bytes)})")
        if part.file_size > RATIO_FLOOR and part.file_size > limits.ratio * max(part.compress_size, 1):
            raise UploadTooLarge(f"{zh}压缩比异常（{part.filename}压缩了{part.file_size / max(part.compress_size, 1):,.0f}倍），"
                                 "疑似压缩炸弹", f"{en}'s compression ratio is abnormal ({part.filename}: "
                                 f"{part.file_size / max(part.compress_size, 1):,.0f}x); refused as a decompression bomb")
    if total > limits.total_bytes:
        raise UploadTooLarge(f"{zh}解压后共{_mb(total)}，上限{_mb(limits.total_bytes)}",
                             f"{en} unpacks to {_mb(total)}; at most {_mb(limits.total_bytes)}")


def _stream(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: UploadLimits):
    """The part's bytes in chunks, never more than its declared size nor the limit (a lying header is caught)."""
    seen = 0
    with archive.open(part) as raw:  # zipfile stops at the declared size and checks the CRC
        while chunk := raw.read(CHUNK):
            seen += len(chunk)
            if seen > limits.member_bytes:
                raise UploadTooLarge(f"工作簿解压后过大（{part.filename}超过{_mb(limits.member_bytes)}）",
                                     f"the workbook unpacks too large ({part.filename} over {_mb(limits.member_bytes)})")
            yield chunk


# The regular form Excel, WPS, openpyxl and xlsxwriter write: <row r="7" ...>, <c r="B7" ...>, r first, no prefix.
# Anything else (a cell or row without attributes, split by other blanks, another attribute first, <x:c ...>) is
# found by one of these searches; a name going on with a letter is another element (<cols>, <rowBreaks>).
_IRREGULAR = (re.compile(rb'<c(?:[^ a-zA-Z]| (?!r="))'), re.compile(rb'<row(?:[^ a-zA-Z]| (?!r="))'),
              re.compile(rb":(?:c|row)[\s/>]"))
_ROW_NUMBERS = re.compile(rb'<row r="(\d{1,7})"')


@functools.cache
def _wide_or_far_cells(digits: int) -> re.Pattern:
    """The cells whose reference the scan reads: two or three letters (the widest column), or a row number of
    ``digits`` digits or more (a cell's own row past its row's: a reader places it by its own). A sheet of up to 26
    columns has none: one pass that finds nothing."""
    return re.compile(rb'<c r="([A-Z](?:[A-Z][A-Z]?|(?=\d{%d})))(\d+)' % digits)


class _Shape:
    """The extent of one sheet as the scan finds it, refused as soon as it passes a limit."""

    def __init__(self, name: str, limits: UploadLimits):
        self.name, self.limits = name, limits
        self.row = self.column = self.highest = self.widest = 0

    def grow(self, highest: int, widest: int) -> None:
        self.highest, self.widest = max(self.highest, highest), max(self.widest, widest)
        limits, name = self.limits, self.name
        if self.highest > limits.rows:
            raise UploadTooLarge(f"工作表“{name}”超过{limits.rows:,}行，请分批上传",
                                 f"the sheet {name} has more than {limits.rows:,} rows; split it", 422)
        if self.widest > limits.columns:
            raise UploadTooLarge(f"工作表“{name}”超过{limits.columns:,}列",
                                 f"the sheet {name} has more than {limits.columns:,} columns", 422)
        if self.highest * self.widest > limits.cells:
            raise UploadTooLarge(f"工作表“{name}”超过{limits.cells:,}个单元格（行数×列数），请分批上传",
                                 f"the sheet {name} spans more than {limits.cells:,} cells (rows x columns); split it",
                                 422)

    def scan(self, text: bytes) -> None:
        """In the regular form (every row and cell carrying its reference first) a few C-speed passes find the
        highest row and the widest column; anything else is walked tag by tag, counting positions as a reader."""
        if not any(pattern.search(text) for pattern in _IRREGULAR):
            highest = max(map(int, _ROW_NUMBERS.findall(text)), default=0)
            widest = 26 if b"<c " in text else 0  # one letter: A-Z
            digits = len(str(self.limits.rows))
            found = _wide_or_far_cells(digits).findall(text)
            if found:
                names, numbers = zip(*found)
                wide = [name for name in set(names) if len(name) > 1]
                if wide:
                    widest = _column_number(max(wide, key=lambda name: (len(name), name)))
                highest = max(highest, max((int(n) for n in numbers if len(n) >= digits), default=0))
            self.row, self.column = max(self.row, highest), max(self.column, widest)
            self.grow(highest, widest)
            return
        self.column = self.widest  # not known where the walk starts: at most the widest so far
        for match in _TAG.finditer(text):
            reference = _REF.search(match.group(2))
            if match.group(1) == b"row":
                self.row, self.column = (int(reference.group(2)) if reference else self.row + 1), 0
            elif reference and reference.group(1):
                self.column, self.row = _column_number(reference.group(1)), max(self.row, int(reference.group(2)))
            else:
                self.column += 1
            if self.row > self.highest or self.column > self.widest:
                self.grow(self.row, self.column)


def _check_sheet(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: UploadLimits) -> None:
    """Rows and columns a reader would lay out: the highest references, or the counts where cells carry none."""
    shape = _Shape(Path(part.filename).stem, limits)
    carry = b""
    for chunk in _stream(archive, part, limits):
        text = carry + chunk
        cut = text.rfind(b">") + 1  # a tag split by the chunk waits for the next one
        text, carry = text[:cut], text[cut:]
        if len(carry) > CHUNK:
            raise UploadTooLarge("工作表XML格式异常", "the sheet's XML is malformed", 422)
        shape.scan(text)


def check_workbook(source: str | Path | IO[bytes], limits: UploadLimits | None = None) -> None:
    """Raise UploadTooLarge when the workbook passes a limit; a file that is no zip at all is left to the reader
    (which says it cannot read it). A file-like source is left at the position it had."""
    if isinstance(source, CheckedWorkbook) and limits is None:
        return
    limits = limits or COMMAND_LINE
    try:
        archive, position = _open(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    try:
        check_sizes(archive, limits)
        for part in archive.infolist():
            if _SHEET.match(part.filename):
                _check_sheet(archive, part, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:  # a corrupt part
        raise UploadTooLarge(f"工作簿已损坏，无法读取（{type(error).__name__}）",
                             f"the workbook is corrupt ({type(error).__name__})", 422) from None
    finally:
        archive.close()
        if position is not None:
            source.seek(position)


def checked_upload(data: bytes, limits: UploadLimits = WEB) -> CheckedWorkbook:
    """An uploaded workbook's bytes, held to ``limits`` before any parsing."""
    workbook = CheckedWorkbook(data)
    check_workbook(workbook, limits)
    return workbook
