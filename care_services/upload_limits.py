"""Limits a workbook must keep before anything parses it (OWASP ASVS 12.1): an .xlsx is a zip of XML, and a small
file can unpack to gigabytes (a decompression bomb) or declare a sheet of a million rows by 16,384 columns that a
reader fills in as a dense grid.

``check_workbook`` reads only the zip's directory and then streams each worksheet's XML through a bounded inflater,
counting rows and the widest row as it goes, and stops at the first limit passed. Memory stays at one chunk; no
cell value is kept. The web uses ``WEB`` (what a browser upload needs); the command line ``COMMAND_LINE``, larger.
Every read path goes through care_services.spreadsheet.read_sheets, which calls it.
"""

from __future__ import annotations

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
    members: int  # parts in the zip

    def scaled(self, **changes) -> "UploadLimits":
        return replace(self, **changes)


RATIO_FLOOR = 1 * MB  # a small part (styles, a short sheet) may compress very well; only large ones are held to it
WEB = UploadLimits(member_bytes=50 * MB, total_bytes=100 * MB, ratio=200, rows=100_000, columns=1_000, members=500)
COMMAND_LINE = UploadLimits(member_bytes=1024 * MB, total_bytes=2048 * MB, ratio=1000, rows=1_048_576,
                            columns=16_384, members=5_000)


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


def _check_sizes(archive: zipfile.ZipFile, limits: UploadLimits) -> None:
    parts = archive.infolist()
    if len(parts) > limits.members:
        raise UploadTooLarge(f"工作簿的组成部分过多（{len(parts)}个，上限{limits.members}）",
                             f"the workbook has too many parts ({len(parts)}; at most {limits.members})")
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > limits.member_bytes:
            raise UploadTooLarge(f"工作簿解压后过大（{part.filename}为{_mb(part.file_size)}，上限{_mb(limits.member_bytes)}）",
                                 f"the workbook unpacks too large ({part.filename}: {_mb(part.file_size)}; "
                                 f"at most {_mb(limits.member_bytes)})")
        if part.file_size > RATIO_FLOOR and part.file_size > limits.ratio * max(part.compress_size, 1):
            raise UploadTooLarge(f"工作簿压缩比异常（{part.filename}压缩了{part.file_size / max(part.compress_size, 1):,.0f}倍），"
                                 "疑似压缩炸弹", f"the workbook's compression ratio is abnormal ({part.filename}: "
                                 f"{part.file_size / max(part.compress_size, 1):,.0f}x); refused as a decompression bomb")
    if total > limits.total_bytes:
        raise UploadTooLarge(f"工作簿解压后共{_mb(total)}，上限{_mb(limits.total_bytes)}",
                             f"the workbook unpacks to {_mb(total)}; at most {_mb(limits.total_bytes)}")


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


def _check_sheet(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: UploadLimits) -> None:
    """Rows and columns a reader would lay out (the highest reference, or the count where cells carry none)."""
    rows = column = widest = 0
    carry = b""
    for chunk in _stream(archive, part, limits):
        text = carry + chunk
        cut = text.rfind(b">") + 1  # a tag split by the chunk waits for the next one
        text, carry = text[:cut], text[cut:]
        if len(carry) > CHUNK:
            raise UploadTooLarge("工作表XML格式异常", "the sheet's XML is malformed", 422)
        for match in _TAG.finditer(text):
            reference = _REF.search(match.group(2))
            if match.group(1) == b"row":
                rows = int(reference.group(2)) if reference else rows + 1
                column = 0
                if rows > limits.rows:
                    raise UploadTooLarge(
                        f"工作表“{Path(part.filename).stem}”超过{limits.rows:,}行，请分批上传",
                        f"the sheet {Path(part.filename).stem} has more than {limits.rows:,} rows; split it", 422)
            else:
                column = _column_number(reference.group(1)) if reference and reference.group(1) else column + 1
                if reference and reference.group(1) and int(reference.group(2)) > limits.rows:
                    raise UploadTooLarge(
                        f"工作表“{Path(part.filename).stem}”超过{limits.rows:,}行，请分批上传",
                        f"the sheet {Path(part.filename).stem} has more than {limits.rows:,} rows; split it", 422)
                if column > widest:
                    widest = column
                    if widest > limits.columns:
                        raise UploadTooLarge(
                            f"工作表“{Path(part.filename).stem}”超过{limits.columns:,}列",
                            f"the sheet {Path(part.filename).stem} has more than {limits.columns:,} columns", 422)


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
        _check_sizes(archive, limits)
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
