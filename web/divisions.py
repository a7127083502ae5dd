"""Divisions area: the home page (counties of each city) and its JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from care_services.overview import cities, city_overview
from web.database import session
from web.schemas import CityQuery, ValidationError, load

bp = Blueprint("divisions", __name__)


def _overviews(city: str | None) -> list[dict]:
    codes = [city] if city else [c.code for c in cities(session())]
    return [o for o in (city_overview(session(), code) for code in codes) if o is not None]


@bp.get("/")
def index():
    try:
        query = load(CityQuery(), request.args)
    except ValidationError as error:
        return render_template("error.html", status=400, zh="查询参数有误", en="bad query", fields=error.messages), 400
    return render_template("index.html", overviews=_overviews(query["city"]))


@bp.get("/api/v1/divisions")
def divisions_api():
    try:
        query = load(CityQuery(), request.args)
    except ValidationError as error:
        return jsonify(error={"status": 400, "message_zh": "查询参数有误", "message_en": "bad query",
                              "fields": error.messages}), 400
    return jsonify(cities=[
        {k: v for k, v in o.items() if k in ("code", "name", "counties", "population", "aged_60_plus", "projects")}
        for o in _overviews(query["city"])
    ])
