"""Parameters area: every parameter with its dated values and citation; administrators add county overrides of
floors (不低于), which are checked against the floor and logged."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from care_services import clock
from care_services.accounts import InputError
from care_services.divisions import ENGLISH_NAMES
from care_services.model import Division, ParameterOverride, User
from subsidy_rules.overrides import add_override, effective_parameters
from web import divisions
from web.database import session as db_session
from web.errors import flatten, input_fields
from web.i18n import english_label, t, value_text
from web.schemas import OverrideRequest, ParameterQuery, ValidationError, load
from web.security import current_user, roles_required

bp = Blueprint("parameters", __name__)

def place_name(code: str, en: bool) -> str:
    """A parameter's jurisdiction (a 2-, 4- or 6-digit code) by name: 江西省, 九江市, 濂溪区…"""
    return divisions.place_name(code, "en" if en else "zh")


def listing(query: str | None) -> list[dict]:
    parameters = effective_parameters(db_session())
    rows = []
    for (name, _), parameter in sorted(parameters.parameters.items()):
        if query and query.lower() not in (name + parameter.description + parameter.reference.document).lower():
            continue
        item = parameter.as_dict()
        item["reference"] = {**item["reference"], "text": str(parameter.reference)}
        item["overridden"] = parameter.source.startswith("reform:")
        rows.append(item)
    return rows


UNKNOWN_DEPARTMENT = {"jurisdiction": None, "name": None, "role": None}


def _departments(session, usernames: set[str]) -> dict[str, dict]:
    """Who recorded a value, as the public reads it: the division and the role, never the member of staff's name."""
    users = session.execute(select(User.username, User.role, User.jurisdiction_code, Division.name)
                            .join(Division, Division.code == User.jurisdiction_code)
                            .where(User.username.in_(usernames))) if usernames else []
    return {name: {"jurisdiction": code, "name": division, "role": role} for name, role, code, division in users}


def overrides() -> list[dict]:
    """The county values, each with the value in force today and the floor above it (which wins when higher)."""
    session = db_session()
    parameters, today = effective_parameters(session), clock.today()
    listed = []
    rows = list(session.scalars(select(ParameterOverride).order_by(ParameterOverride.id.desc())))
    departments = _departments(session, {r.created_by for r in rows})
    for r in rows:
        try:
            in_force = parameters.get(r.name, r.jurisdiction_code, today) if r.start <= today else None
        except LookupError:
            in_force = None
        listed.append({"id": r.id, "name": r.name, "jurisdiction": r.jurisdiction_code, "start": r.start.isoformat(),
                       "value": r.value, "in_force": in_force,
                       "floor_above": parameters.floor_above(r.name, r.jurisdiction_code, today),
                       "reason": r.reason, "department": departments.get(r.created_by, UNKNOWN_DEPARTMENT),
                       "at": r.created_at.isoformat(timespec="seconds") + "Z"})
    return listed


IDENTIFIER = re.compile(r"(?:事实 ?)?\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b")


GRADES_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
CHOICES_ZH = {"table1": "按正文表1", "annex2": "按附件2"}


def _words(unit: str, en: bool) -> dict:
    """The words of a parameter's coded values: categories, ownerships, funds, funding levels."""
    from care_services import vocabulary as v
    from subsidy_rules.schemes.yichun_2023_20 import FUND_LABELS

    if en:
        return {}
    return {"categories": v.DISABILITY_CATEGORY, "ownerships": v.OWNERSHIP, "funds": FUND_LABELS,
            "level": {key: t(f"level.{key}") for key in ("province", "city", "county")},
            "choice (table1 | annex2)": CHOICES_ZH}.get(unit, {})


def shown_value(value, unit: str, en: bool) -> str:
    """A parameter's value as staff read it: numbers in their unit (shares in %), codes and lists by name."""
    if value is None:
        return t("no_longer_in_force")
    if unit == "code" and isinstance(value, str) and value.isdigit():
        return place_name(value, en)
    if unit == "grades" and isinstance(value, list):
        return ", ".join(f"grade {g}" for g in value) if en else "、".join(GRADES_ZH.get(g, str(g)) for g in value)
    if isinstance(value, list) or isinstance(value, str):
        words = _words(unit, en)
        items = value if isinstance(value, list) else [value]
        shown = [words.get(item) or (english_label(item) if en else str(item).replace("_", " ")) for item in items]
        return (", " if en else "、").join(shown)
    return value_text(value, unit)


def parameter_title(parameter, en: bool) -> str:
    """A parameter by its name in the page's language (its description is "中文 / English")."""
    zh, _, english = parameter.description.partition(" / ")
    return (english or zh) if en else zh


@bp.app_template_global("parameter_name")
def parameter_name(name: str) -> str:
    """A parameter an explanation cites (by its id) as this page's language names it, as the parameters page does."""
    from flask import g

    from subsidy_rules.parameters import default_parameters

    found = next((p for (key, _), p in sorted(default_parameters().parameters.items()) if key == name), None)
    return parameter_title(found, g.get("lang") == "en") if found is not None else t("parameter")


def readable(text: str | None, titles: dict[str, str], en: bool = False) -> str:
    """A reading written by a developer, with the ids of parameters and facts it mentions replaced by their names
    in the page's language."""
    if not text:
        return ""

    facts = _fact_labels(en)

    def name_of(match: re.Match) -> str:
        word = match.group(0).removeprefix("事实").strip()
        found = [title for name, title in titles.items() if name == word or name.endswith("." + word)]
        if found:
            return f"“{found[0]}”"
        return f"“{facts[word]}”" if word in facts else match.group(0)

    return IDENTIFIER.sub(name_of, text)


def _fact_labels(en: bool = False) -> dict[str, str]:
    """Fact key → its label (Chinese) or description (English), over every scheme (the readings name the facts a
    clerk fills in)."""
    from subsidy_rules.engine import all_schemes

    return {f.key: f.description if en else f.zh for scheme in all_schemes() for f in scheme.facts}


def page_rows(rows: list[dict], parameters, en: bool) -> list[dict]:
    """The listing as the page shows it: names, places, values and readings in the page's language; no page shows
    a parameter's id (the API lists them)."""
    titles = {name: parameter_title(p, en) for (name, _), p in parameters.parameters.items()}
    shown = []
    for row in rows:
        parameter = parameters.parameters[(row["name"], row["jurisdiction"])]
        reading = row["interpretation"] if en else row["interpretation_zh"]
        shown.append({**row, "title": parameter_title(parameter, en), "place": place_name(row["jurisdiction"], en),
                      "reading": readable(reading, titles, en)})
    return sorted(shown, key=lambda r: (r["name"].split(".")[0], r["jurisdiction"], r["title"]))


def parameter_choice(parameters, name: str, en: bool) -> dict:
    """One parameter as a picker's option: its name in the page's language, the values in force on the server's
    day by place ("宜春市 600 元/月"), and the unit a new value is typed in (% for a share)."""
    from care_services import clock
    from web.i18n import unit_text
    from web.schemas import is_percent_unit

    today, current, first = clock.today(), [], None
    for (key, jurisdiction), held in sorted(parameters.parameters.items()):
        if key != name:
            continue
        first = first or held
        try:
            current.append(f"{place_name(jurisdiction, en)} {shown_value(held.at(today), held.unit, en)}")
        except LookupError:
            continue
    return {"name": name, "title": parameter_title(first, en), "current": ("; " if en else "；").join(current),
            "unit": "%" if is_percent_unit(first.unit) else unit_text(first.unit)}


def override_choices(parameters, user, en: bool) -> dict:
    """The pickers of the override form: floor parameters (see parameter_choice) and the counties within the
    user's jurisdiction that hold a floor, grouped by city."""
    from care_services.identifiers import within

    floors = sorted({name for (name, _), p in parameters.parameters.items() if p.kind == "floor"})
    prefixes = {jurisdiction for (_, jurisdiction), p in parameters.parameters.items() if p.kind == "floor"}
    choices = sorted((parameter_choice(parameters, name, en) for name in floors), key=lambda c: c["title"])
    session = db_session()
    counties = session.execute(select(Division.code, Division.name).where(Division.level == "county")
                               .order_by(Division.code)).all()
    cities: dict[str, dict] = {}
    for code, name in counties:
        if user is not None and not within(code, user.jurisdiction_code):
            continue
        if not any(code.startswith(prefix) for prefix in prefixes):
            continue
        city = cities.setdefault(code[:4], {"name": place_name(code[:4], en), "counties": []})
        city["counties"].append({"code": code, "name": place_name(code, en) if en and code in ENGLISH_NAMES else name})
    return {"parameters": choices, "cities": list(cities.values())}


def _page(query: str | None, errors: dict, values, status: int = 200):
    from flask import g

    en = g.lang == "en"
    parameters = effective_parameters(db_session())
    titles = {name: parameter_title(p, en) for (name, _), p in parameters.parameters.items()}
    listed = overrides()
    for row in listed:
        row["title"] = titles.get(row["name"], row["name"])
        row["place"] = place_name(row["jurisdiction"], en)
        unit = next((p.unit for (name, _), p in parameters.parameters.items() if name == row["name"]), None)
        row["value_shown"] = shown_value(row["value"], unit, en)
        row["floor_shown"] = None if row["floor_above"] is None else shown_value(row["floor_above"], unit, en)
    user = current_user()
    choices = override_choices(parameters, user, en) if user is not None and user.role == "administrator" else None
    return render_template("parameters.html", parameters=page_rows(listing(query), parameters, en), overrides=listed,
                           q=query or "", errors=errors, values=values, version=parameters.version,
                           choices=choices, shown=lambda value, unit: shown_value(value, unit, en)), status


def _add(data: dict):
    session = db_session()
    row = add_override(session, current_user(), data["name"], data["jurisdiction"], data["start"], data["value"],
                       data["reason"])
    session.commit()
    return row


@bp.get("/parameters")
def parameters_page():
    query = load(ParameterQuery(), request.args)
    return _page(query["q"], {}, {})


@bp.post("/parameters/overrides")
@roles_required("administrator")
def override_page():
    from web.schemas import OverrideForm

    try:
        _add(load(OverrideForm(), {k: v for k, v in request.form.items()}))
    except (ValidationError, InputError) as error:
        db_session().rollback()
        errors = flatten(error.messages) if isinstance(error, ValidationError) else input_fields(error.errors)
        return _page(None, errors, request.form, 422)
    return redirect(url_for("parameters.parameters_page", saved=1))


@bp.get("/api/v1/parameters")
def list_parameters():
    query = load(ParameterQuery(), request.args)
    return jsonify(version=effective_parameters(db_session()).version, parameters=listing(query["q"]),
                   overrides=overrides())


@bp.post("/api/v1/parameters/overrides")
@roles_required("administrator")
def create_override():
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"_body": ["请求体应为JSON对象 / the body must be a JSON object"]})
    row = _add(load(OverrideRequest(), body))
    return jsonify(id=row.id, name=row.name, jurisdiction=row.jurisdiction_code, start=row.start.isoformat(),
                   value=row.value, version=effective_parameters(db_session()).version), 201
