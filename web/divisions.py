"""Divisions area: the home page (counties of each city) and its JSON, and the 市→县→乡镇 tree the forms pick from."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from care_services.overview import cities, city_overview
from web.database import session
from web.schemas import CityQuery, ValidationError, load

bp = Blueprint("divisions", __name__)


def place_name(prefix: str, lang: str = "zh") -> str:
    """A jurisdiction (a code or a 2-/4-/6-digit prefix) as a reader names it (pages in English say "Yichun", not
    宜春市)."""
    from care_services.divisions import ENGLISH_NAMES, division_name

    if lang == "en":  # a six-digit city code (360900) is named as its prefix
        return ENGLISH_NAMES.get(prefix) or ENGLISH_NAMES.get(prefix.rstrip("0")) or prefix
    return division_name(prefix)


def division_tree(prefixes: list[str] | None = None) -> list[dict]:
    """Cities, their counties and the counties' township-level units ({code, name, counties: [{code, name,
    townships: [...]}]}), limited to the divisions inside one of ``prefixes`` (all where None).

    One query: the 446 township units of both cities load as divisions (sample_data/townships_2022.csv)."""
    from sqlalchemy import select

    from care_services.model import Division

    rows = session().scalars(select(Division).where(Division.level.in_(("city", "county", "township")))
                             .order_by(Division.code)).all()

    def inside(code: str) -> bool:
        return prefixes is None or any(code.startswith(p) for p in prefixes)

    cities = {d.code[:4]: {"code": d.code, "name": d.name, "counties": []} for d in rows if d.level == "city"}
    counties = {}
    for d in rows:
        if d.level == "county" and d.code[:4] in cities and inside(d.code):
            counties[d.code] = {"code": d.code, "name": d.name, "townships": []}
            cities[d.code[:4]]["counties"].append(counties[d.code])
    for d in rows:
        if d.level == "township" and d.code[:6] in counties:
            counties[d.code[:6]]["townships"].append({"code": d.code, "name": d.name})
    return [c for c in cities.values() if c["counties"]]


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
