"""The upload-limit scan's fast path (issue 19: fewer passes over the sheet's XML) finds the same extent of a sheet as
the scan it replaced, on the regular XML of every writer and on the irregular XML it leaves to the tag walker."""

from __future__ import annotations

import re

import pytest

from care_services.upload_limits import _IRREGULAR, COMMAND_LINE, WEB, UploadTooLarge, _column_number, _Shape


def _extent_before(text: bytes, limits) -> tuple[int, int] | None:
    """The regular-form scan as it was before issue 19 (four counts, two searches, four findalls); None where it
    found the XML irregular (the tag walker then takes it, in both)."""
    cells, rows = text.count(b"<c "), text.count(b"<row ")
    regular = (cells == text.count(b'<c r="') and rows == text.count(b'<row r="')
               and not re.search(rb"<(?:c|row)[\t\r\n>/]", text) and not re.search(rb":(?:c|row)[\s/>]", text))
    if not regular:
        return None
    highest = max(map(int, re.findall(rb'<row r="(\d{1,7})"', text)), default=0)
    digits = len(str(limits.rows))
    highest = max(highest, max(map(int, re.findall(rb'<c r="[A-Z]{1,3}(\d{%d,})"' % digits, text)), default=0))
    widest = 26 if cells else 0
    for pattern in (rb'<c r="([A-Z]{3})\d', rb'<c r="([A-Z]{2})\d'):
        letters = set(re.findall(pattern, text))
        if letters:
            widest = _column_number(max(letters))
            break
    return highest, widest


def _extent_now(text: bytes, limits) -> tuple[int, int]:
    shape = _Shape("t", limits.scaled(columns=10**9, cells=10**18))  # the rows limit: the digits the scan reads
    try:
        shape.scan(text)
    except UploadTooLarge:  # past the rows limit: the extent is kept as found
        pass
    return shape.highest, shape.widest


def _row(number: int, references: list[bytes], attrs: bytes = b"") -> bytes:
    cells = b"".join(b'<c r="%s"%s><v>1</v></c>' % (reference, attrs) for reference in references)
    return b'<row r="%d" spans="1:3">%s</row>' % (number, cells)


REGULAR = [
    b'<worksheet><cols><col min="1" max="3"/></cols><sheetData>' + b"".join(
        _row(n, [b"A%d" % n, b"B%d" % n, b"M%d" % n]) for n in range(1, 200)) + b"</sheetData></worksheet>",
    b"<sheetData>" + b"".join(_row(n, [b"A%d" % n, b"AE%d" % n, b"Z%d" % n]) for n in range(1, 50)) + b"</sheetData>",
    b"<sheetData>" + _row(1, [b"A1", b"ZZ1", b"AB1"]) + _row(7, [b"XFD7", b"ABC7", b"B7"]) + b"</sheetData>",
    b"<sheetData>" + _row(2, [b"A2", b"C1048577"]) + _row(3, [b"AB2000000"]) + b"</sheetData>",
    b"<sheetData>" + _row(5, [b"A5"], b' s="3" t="inlineStr"') + b"<rowBreaks/><conditionalFormatting/></sheetData>",
    b'<sheetData><row r="3"/><row r="99999"/></sheetData>',
    b"<sheetData></sheetData>",
]
IRREGULAR = [
    b"<sheetData><row><c><v>1</v></c></row></sheetData>",
    b'<sheetData><row r="1"><c s="1" r="A1"/></row></sheetData>',
    b'<sheetData><row r="1"><c\tr="A1"/></row></sheetData>',
    b'<sheetData><row spans="1:2" r="1"><c r="B1"/></row></sheetData>',
    b'<x:sheetData><x:row r="1"><x:c r="A200000"/></x:row></x:sheetData>',
    b'<sheetData><row r="1"><c r="A1"/><c/></row></sheetData>',
]


@pytest.mark.parametrize("limits", [WEB, COMMAND_LINE], ids=["web", "command line"])
@pytest.mark.parametrize("text", REGULAR + IRREGULAR)
def test_the_fast_scan_finds_the_extent_the_scan_before_it_found(text, limits):
    before = _extent_before(text, limits)
    irregular = any(pattern.search(text) for pattern in _IRREGULAR)
    assert irregular == (text in IRREGULAR)
    if before is None:  # irregular: both walk the tags as a reader places them
        assert irregular
    else:
        assert text in REGULAR and _extent_now(text, limits) == before
