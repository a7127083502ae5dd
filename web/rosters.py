"""Rosters area: other departments' lists (低保对象名册, 易返贫致贫监测对象名单, 死亡人员名单, 特困人员救助供养名册;
care_services/rosters.py, 宜府办发〔2023〕20号 三（二） 退出管理) imported in the browser, as `carecalc roster import` does.

Who may do what, as a government system would have it: every logged-in member of staff may *see* which list is in
force for their jurisdiction (department and as-of date only, no personal data) — the township reviewer and the
finance approver need to know why a roll line is suspended (暂停发放，待核查) and whether the check had lists to go on.
Only the departments that keep or receive these lists import them: the 民政 and 残联 county reviewers, the 乡村振兴
officer (the monitoring list) and administrators. Anyone else is shown the page without the form, and a POST from
them is refused with 403 (nothing read, nothing stored). A list is imported for the user's own jurisdiction or a
division within it, never another's.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select

from care_services import clock
from care_services.accounts import InputError
from care_services.identifiers import within
from care_services.model import Division, RosterImport
from care_services.rosters import ROSTERS, import_roster, roster_status
from care_services.upload_limits import UploadTooLarge
from web.database import session as db_session
from web.divisions import place_name
from web.errors import flatten, input_fields
from web.i18n import roster_name
from web.schemas import RosterForm, RosterPageQuery, ValidationError, load
from web.security import current_user, login_required, roles_required
from web.uploads import private_file, uploaded_name, workbook_upload

bp = Blueprint("rosters", __name__)

IMPORT_ROLES = ("civil_affairs_reviewer", "disability_federation_reviewer", "rural_revitalisation_officer",
                "administrator")
bp.add_app_template_global(IMPORT_ROLES, "roster_import_roles")  # the main menu links the page for them


def may_import(user) -> bool:
    return user is not None and user.role in IMPORT_ROLES


def jurisdictions(user) -> list[dict]:
    """The user's own division and the cities and counties within it, named in the page's language."""
    en = g.get("lang") == "en"
    rows = db_session().execute(select(Division.code, Division.name)
                                .where(Division.level.in_(("province", "city", "county"))).order_by(Division.code))
    return [{"code": code, "name": place_name(code, "en") if en else name} for code, name in rows
            if within(code, user.jurisdiction_code)]


def status_rows(places: list[dict]) -> list[dict]:
    """For each place, each roster's latest import in force today (rosters.roster_status)."""
    today, session = clock.today(), db_session()
    return [{**place, "rosters": roster_status(session, place["code"], today)} for place in places]


def imported_message(import_id: int | None, user) -> dict | None:
    """What the import just made says, read back from its record (only one within the user's jurisdiction)."""
    record = db_session().get(RosterImport, import_id) if import_id else None
    if record is None or not within(record.jurisdiction_code, user.jurisdiction_code):
        return None
    return {"roster": roster_name(record.roster), "department": record.source_department,
            "date": record.source_date.isoformat(), "rows": record.rows,
            "place": place_name(record.jurisdiction_code, g.get("lang"))}


def _page(errors: dict, values, status: int = 200, imported: dict | None = None):
    user = current_user()
    places = jurisdictions(user)
    return render_template("rosters.html", rosters=[{"id": r.id, "name": roster_name(r.id)} for r in ROSTERS.values()],
                           places=places, status=status_rows(places), may_import=may_import(user), errors=errors,
                           values=values, imported=imported, today=clock.today().isoformat()), status


@bp.get("/rosters")
@login_required
def rosters_page():
    query = load(RosterPageQuery(), request.args)
    return _page({}, {}, imported=imported_message(query["imported"], current_user()))


def _checked_input(places: list[dict]) -> tuple[dict, bytes]:
    """The form and the workbook, every problem of both at once (ValidationError naming each field)."""
    errors, form, content = {}, None, None
    try:
        form = load(RosterForm({p["code"] for p in places}), request.form.to_dict())
    except ValidationError as error:
        errors.update(flatten(error.messages))
    try:
        content = workbook_upload("file").getvalue()
    except ValidationError as error:
        errors.update(flatten(error.messages))
    if errors:
        raise ValidationError(errors)
    return form, content


@bp.post("/rosters")
@roles_required(*IMPORT_ROLES)
def import_page():
    user, session = current_user(), db_session()
    try:
        form, content = _checked_input(jurisdictions(user))
        with private_file(content, uploaded_name("file", "roster.xlsx")) as path:
            record = import_roster(session, form["roster"], path, source_department=form["source_department"],
                                   source_date=form["source_date"], jurisdiction=form["jurisdiction"],
                                   by=user.username)
        session.commit()
    except (ValidationError, InputError, UploadTooLarge) as error:
        session.rollback()
        return _page(_field_errors(error), request.form, getattr(error, "status", 422))
    return redirect(url_for("rosters.rosters_page", imported=record.id))


def _field_errors(error: Exception) -> dict[str, list[str]]:
    """Each problem at its form field; the rows of the workbook that are wrong (each naming its row) at the file."""
    if isinstance(error, UploadTooLarge):
        return {"file": [str(error)]}
    if isinstance(error, ValidationError):
        return flatten(error.messages)
    fields: dict[str, list[str]] = {}
    for name, messages in input_fields(error.errors).items():
        fields.setdefault(name if name in ("roster", "source_department", "jurisdiction") else "file", []).extend(messages)
    return fields
