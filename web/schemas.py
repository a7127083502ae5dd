"""marshmallow schemas: the one place web input is validated."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from care_services.model import ENTITY_MODELS

DIVISION_CODE = validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码 / must be a six-digit division code")


class CityQuery(Schema):
    city = fields.String(load_default=None, validate=DIVISION_CODE)
    lang = fields.String(load_default=None, validate=validate.OneOf(["zh", "en"]))


class EntityPath(Schema):
    entity = fields.String(
        required=True,
        validate=validate.OneOf(list(ENTITY_MODELS), error="未知数据类别 / unknown entity; one of: {choices}"),
    )


def load(schema: Schema, data) -> dict:
    """Validated data, or ValidationError carrying field -> messages."""
    return schema.load(data)


__all__ = ["CityQuery", "EntityPath", "ValidationError", "load"]
