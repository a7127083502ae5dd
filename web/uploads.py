"""Uploaded workbooks: an .xlsx in a named form field, held to the web's limits (care_services.upload_limits)
before anything parses it. The whole request is bounded too (MAX_CONTENT_LENGTH: 413 before it is read)."""

from __future__ import annotations

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
