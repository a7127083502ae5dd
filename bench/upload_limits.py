"""What do the upload limits cost before a workbook is parsed, and how fast is a bomb refused?

Prints the time of care_services.upload_limits.check_workbook on a workbook of synthetic applicants and its ratio
to reading the same workbook with python-calamine (the default read engine, the baseline, measured in the same
run), then the time to refuse a 300 MB decompression bomb and a sheet reaching cell XFD1048576.

    python bench/upload_limits.py [--rows 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from pathlib import Path

from care_services.spreadsheet import frame_records, write_workbook
from care_services.synthetic import generate_people
from care_services.upload_limits import WEB, UploadTooLarge, check_workbook


def best_of(repeat: int, function) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def replaced_sheet(path: Path, write) -> bytes:
    source, out = zipfile.ZipFile(path), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename.startswith("xl/worksheets/sheet"):
                with target.open(part.filename, "w", force_zip64=True) as sheet:
                    write(sheet)
            else:
                target.writestr(part, source.read(part))
    return out.getvalue()


def refused_in(data: bytes) -> float:
    start = time.perf_counter()
    try:
        check_workbook(io.BytesIO(data), WEB)
    except UploadTooLarge:
        return time.perf_counter() - start
    raise SystemExit("not refused")


def main() -> None:
    from python_calamine import CalamineWorkbook

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.xlsx"
        write_workbook(path, "people", frame_records(generate_people(args.rows, seed=1)))
        data = path.read_bytes()
        read = best_of(args.repeat, lambda: [CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(n)
                                             .to_python() for n in CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names])
        check = best_of(args.repeat, lambda: check_workbook(io.BytesIO(data), WEB))
        blank = b" " * (1024 * 1024)
        bomb = replaced_sheet(path, lambda sheet: [sheet.write(blank) for _ in range(300)])
        far = replaced_sheet(path, lambda sheet: sheet.write(
            b'<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="2"><c r="XFD1048576"/></row></sheetData></worksheet>'))
    print(f"upload limits on {args.rows} applicant rows ({len(data) / 1e6:.1f} MB), best of {args.repeat}:")
    print(f"  calamine read (baseline) {read:7.3f} s")
    print(f"  check_workbook           {check:7.3f} s  ratio to the read {check / read:5.2f}")
    print(f"  300 MB bomb ({len(bomb) / 1e6:.2f} MB posted) refused in {refused_in(bomb) * 1000:7.1f} ms")
    print(f"  a cell at XFD1048576 refused in {refused_in(far) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
