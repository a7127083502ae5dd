"""Parameters area: every parameter with its dated values and citation; administrators add county overrides of
floors (不低于), which are checked against the floor and logged."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from care_services.accounts import InputError
from care_services.model import Division, ParameterOverride, User
from subsidy_rules.overrides import add_override, effective_parameters
from web.database import session as db_session
from web.errors import flatten, input_fields
from web.schemas import OverrideRequest, ParameterQuery, ValidationError, load
from web.security import current_user, roles_required

bp = Blueprint("parameters", __name__)

# The places parameters are set for, in English (the division list holds Chinese names only).
PLACE_EN = {"36": "Jiangxi Province", "3604": "Jiujiang", "3609": "Yichun", "360402": "Lianxi District",
            "360403": "Xunyang District", "360404": "Chaisang District"}


def place_name(code: str, en: bool) -> str:
    """A parameter's jurisdiction (a 2-, 4- or 6-digit code) by name: 江西省, 九江市, 濂溪区…"""
    from care_services.divisions import division_name

    if en:
        return PLACE_EN.get(code) or PLACE_EN.get(code.rstrip("0")) or code
    return division_name(code)


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
    parameters, today = effective_parameters(session), dt.date.today()
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


def _add(data: dict):
    session = db_session()
    row = add_override(session, current_user(), data["name"], data["jurisdiction"], data["start"], data["value"],
                       data["reason"])
    session.commit()
    return row


@bp.get("/parameters")
def parameters_page():
    query = load(ParameterQuery(), request.args)
    return render_template("parameters.html", parameters=listing(query["q"]), overrides=overrides(), q=query["q"] or "",
                           errors={}, values={}, version=effective_parameters(db_session()).version)


@bp.post("/parameters/overrides")
@roles_required("administrator")
def override_page():
    try:
        _add(load(OverrideRequest(), {k: v for k, v in request.form.items()}))
    except (ValidationError, InputError) as error:
        db_session().rollback()
        errors = flatten(error.messages) if isinstance(error, ValidationError) else input_fields(error.errors)
        return render_template("parameters.html", parameters=listing(None), overrides=overrides(), q="",
                               errors=errors, values=request.form,
                               version=effective_parameters(db_session()).version), 422
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
