"""Downloads area: the import template of each entity."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Blueprint, send_file

from care_services.model import ENTITY_MODELS
from care_services.spreadsheet import template_example, write_workbook
from web.i18n import error_response
from web.schemas import EntityPath, ValidationError, load

bp = Blueprint("downloads", __name__, url_prefix="/templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(write: Callable[[io.BytesIO], None], filename: str):
    """A workbook written by ``write(file)`` as a download (every area's Excel goes out this way)."""
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=filename)


@bp.get("/<entity>.xlsx")
def template(entity: str):
    try:
        entity = load(EntityPath(), {"entity": entity})["entity"]
    except ValidationError:
        return error_response(404, f"没有“{entity}”这一数据类别", f"no entity '{entity}'")
    name = f"carecalc-{entity}-{ENTITY_MODELS[entity].__title_zh__}模板.xlsx"  # ASCII part for old browsers
    return xlsx_download(lambda file: write_workbook(file, entity, example=template_example(entity)), name)
