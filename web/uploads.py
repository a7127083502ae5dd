"""Uploaded workbooks: an .xlsx in a named form field, held to the web's limits (care_services.upload_limits)
before anything parses it. The whole request is bounded too (MAX_CONTENT_LENGTH: 413 before it is read)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from flask import current_app, request

from care_services.upload_limits import CheckedWorkbook, UploadTooLarge, checked_upload
from web.schemas import ValidationError


def workbook_upload(name: str) -> CheckedWorkbook:
    upload = request.files.get(name)
    if upload is None or not (upload.filename or "").lower().endswith(".xlsx"):
        raise ValidationError({name: ["请上传.xlsx文件 / upload an .xlsx workbook"]})
    try:
        return checked_upload(upload.read(), current_app.config["UPLOAD_LIMITS"])
    except UploadTooLarge as error:
        error.field = name
        raise


def uploaded_name(name: str, fallback: str = "upload.xlsx") -> str:
    """The file name a browser sent, as a name to keep on record: its last path part (a Windows browser may send
    C:\\...\\名册.xlsx), no control characters, at most 100 characters; Chinese names stay as staff gave them."""
    filename = (request.files[name].filename or "") if name in request.files else ""
    base = re.split(r"[\\/]", filename)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return base[-100:] if base.lower().endswith(".xlsx") and len(base) > 5 else fallback


@contextlib.contextmanager
def private_file(content: bytes, filename: str) -> Iterator[Path]:
    """``content`` in a file of its own (0600, in a 0700 directory), named ``filename``, deleted on leaving: for
    code that reads a path (an import that records the file's name). It may hold personal data (ASVS 12.3)."""
    directory = Path(tempfile.mkdtemp(prefix="carecalc-upload-"))  # mode 0700
    path = directory / filename
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
