"""Eligibility area: the pre-check form of every scheme (no login needed) and its JSON API.

The form is generated from the scheme's fact schema; the answer is the rules engine's, shown criterion by
criterion with the fact used and the clause quoted, the amount with its steps and the funding split.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from flask import Blueprint, abort, current_app, g, jsonify, render_template, request

from care_services.casework import SCHEME, institution_schemes
from subsidy_rules.engine import UnknownScheme, all_schemes, evaluate_frame, explain_rows, get_scheme
from subsidy_rules.overrides import effective_parameters
from web.database import session as db_session
from web.downloads import xlsx_download
from web.i18n import english_label, is_id_list, label, t
from web.schemas import BatchRequest, EvaluateRequest, ValidationError, load, load_facts
from web.security import anonymous_rate_limited

bp = Blueprint("eligibility", __name__)


@bp.app_template_global()
def scheme_title(scheme_id: str) -> str:
    try:
        scheme = get_scheme(scheme_id)
    except UnknownScheme:
        return scheme_id
    return scheme.title_en if g.get("lang") == "en" else scheme.title_zh


def _fact_spec(scheme_id: str, name: str):
    try:
        return next(f for f in get_scheme(scheme_id).facts if f.key == name)
    except (UnknownScheme, StopIteration):
        return None


@bp.app_template_global()
def fact_title(scheme_id: str, name: str) -> str:
    """A fact's name as the user reads it (the form's label)."""
    spec = _fact_spec(scheme_id, name)
    if spec is None:
        return name
    if g.get("lang") != "en":
        return spec.zh
    return english_label(name).capitalize() if is_id_list(spec.description) or not spec.description else spec.description


@bp.app_template_global()
def fact_text(scheme_id: str, name: str, value) -> str:
    """A fact's value as the form shows it: 是/否, the scheme's Chinese name of a category, — when unknown."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return t("yes") if value else t("no")
    spec = _fact_spec(scheme_id, name)
    if spec is not None and spec.choices:
        return label(value, spec.choices.get(value, value))
    return str(value)


def scheme_or_404(scheme_id: str):
    try:
        return get_scheme(scheme_id)
    except UnknownScheme:
        abort(404)


def counties() -> list[dict]:
    from sqlalchemy import select

    from care_services.model import Division

    rows = db_session().scalars(select(Division).where(Division.level == "county").order_by(Division.code))
    return [{"code": d.code, "name": d.name} for d in rows]


def run(scheme_id: str, facts: dict, date: dt.date | None, jurisdiction: str) -> dict:
    """One evaluation, computed together with any others arriving at the same time (web/batcher.py)."""
    return current_app.extensions["carecalc_batcher"].evaluate(
        scheme_id, facts, date=date, jurisdiction=jurisdiction, parameters=effective_parameters(db_session()))


# ------------------------------------------------------------------------------------------------ pages


@bp.get("/check")
def schemes_page():
    return render_template("schemes.html", schemes=[s.describe() for s in all_schemes()])


def _form_facts(scheme) -> dict:
    """The form's inputs as the JSON the API takes: blank (or 未知) is unknown."""
    raw = {}
    for spec in scheme.facts:
        value = request.form.get(f"fact.{spec.key}", "").strip()
        if value:
            raw[spec.key] = value
    return raw


@bp.route("/check/<scheme_id>", methods=["GET", "POST"])
def check_page(scheme_id: str):
    scheme = scheme_or_404(scheme_id)
    context = {"scheme": scheme.describe(), "counties": counties(), "values": {}, "errors": {}, "answer": None,
               "today": dt.date.today().isoformat()}
    if request.method == "GET":
        return render_template("check.html", **context)
    raw = _form_facts(scheme)
    context["values"] = {**raw, "_jurisdiction": request.form.get("jurisdiction", ""),
                         "_date": request.form.get("date", "")}
    try:
        query, facts = checked(scheme.id, {"facts": raw, "jurisdiction": request.form.get("jurisdiction", ""),
                                           **({"date": request.form["date"]} if request.form.get("date") else {})})
    except ValidationError as error:
        from web.errors import flatten

        context["errors"] = flatten(error.messages)
        return render_template("check.html", **context), 422
    context["answer"] = run(scheme.id, facts, query["date"], query["jurisdiction"])
    context["applicable"] = scheme.id == SCHEME or scheme.id in institution_schemes()
    context["prefill"] = {"facts": raw, "jurisdiction": query["jurisdiction"]}
    return render_template("check.html", **context)


# ------------------------------------------------------------------------------------------------ API


@bp.get("/api/v1/schemes")
def list_schemes():
    return jsonify(schemes=[{k: s.describe()[k] for k in ("id", "title_zh", "title_en", "source", "unit")}
                            for s in all_schemes()])


@bp.get("/api/v1/schemes/<scheme_id>")
def show_scheme(scheme_id: str):
    return jsonify(scheme_or_404(scheme_id).describe())


@bp.post("/api/v1/schemes/<scheme_id>/evaluate")
def evaluate_one(scheme_id: str):
    scheme = scheme_or_404(scheme_id)
    query, facts = checked(scheme.id, _json_body())
    return jsonify(run(scheme.id, facts, query["date"], query["jurisdiction"]))


_EVALUATE_REQUEST = EvaluateRequest()  # made once: a schema instance deep-copies its fields


def checked(scheme_id: str, body) -> tuple[dict, dict]:
    """The request and its typed facts, or one ValidationError naming every bad field (request and facts)."""
    errors: dict = {}
    query = facts = None
    try:
        query = load(_EVALUATE_REQUEST, body)
    except ValidationError as error:
        errors.update(error.messages)
    raw = body.get("facts") if isinstance(body, dict) else None
    if isinstance(raw, dict):
        try:
            facts = load_facts(scheme_id, raw)
        except ValidationError as error:
            errors.update(error.messages)
    if errors:
        raise ValidationError(errors)
    return query, facts


def _json_body():
    if not request.is_json:
        abort(415)
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationError({"_body": ["请求体不是有效的JSON / the body is not valid JSON"]})
    return body


@bp.post("/api/v1/schemes/<scheme_id>/evaluate-batch")
@anonymous_rate_limited("batch")
def evaluate_batch(scheme_id: str):
    """A JSON array of {facts, date, jurisdiction} (or {cases: [...], date, jurisdiction}), or an .xlsx upload
    (field ``file``; ``jurisdiction`` and ``date`` as form fields). ?format=xlsx answers with the result workbook."""
    scheme = scheme_or_404(scheme_id)
    parameters = effective_parameters(db_session())
    if request.files:
        frame, date, jurisdiction = _uploaded_cases(scheme)
    else:
        batch = load(BatchRequest(), _json_body())
        errors, rows = {}, []
        for index, case in enumerate(batch["cases"]):
            try:
                facts = load_facts(scheme.id, case["facts"])
            except ValidationError as error:
                errors.update({f"cases.{index}.{k}": m for k, m in error.messages.items()})
                continue
            if not (case["jurisdiction"] or batch["jurisdiction"]):
                errors[f"cases.{index}.jurisdiction"] = ["缺少行政区划代码 / jurisdiction is required"]
            rows.append({**facts, "jurisdiction": case["jurisdiction"] or batch["jurisdiction"],
                         "date": case["date"] or batch["date"] or dt.date.today()})
        if errors:
            raise ValidationError(errors)
        frame, date, jurisdiction = pd.DataFrame(rows), None, None
    if request.args.get("format") == "xlsx":
        from subsidy_rules.batch import evaluate_cases, write_results

        results = evaluate_cases(scheme.id, frame, date=date, jurisdiction=jurisdiction, parameters=parameters)
        return xlsx_download(lambda file: write_results(file, scheme, frame, results), f"carecalc-{scheme.id}-结果.xlsx")
    result = evaluate_frame(scheme.id, frame, date=date, jurisdiction=jurisdiction, parameters=parameters)
    answers = explain_rows(result)  # every row's explanation in one pass over the columns
    if "row" == frame.index.name:
        for answer, row in zip(answers, frame.index):
            answer["row"] = int(row)
    return jsonify(results=answers, count=len(answers),
                   eligible=sum(1 for a in answers if a["eligible"] is True))


def _uploaded_cases(scheme):
    from subsidy_rules.batch import read_cases

    from web.uploads import workbook_upload

    workbook = workbook_upload("file")
    form = load(EvaluateRequest(partial=("facts", "jurisdiction")), {k: v for k, v in request.form.items() if k in ("jurisdiction", "date")})
    try:
        frame = read_cases(workbook, scheme)
    except ValueError as error:
        raise ValidationError({"file": [str(error)]}) from None
    except Exception as error:  # not a workbook at all
        raise ValidationError({"file": [f"无法读取该文件，请确认是.xlsx格式 / cannot read the workbook ({type(error).__name__})"]}) from None
    if frame.empty:
        raise ValidationError({"file": ["工作表中没有案例行 / no case rows in the sheet"]})
    if "jurisdiction" in frame:
        return frame, form["date"], None
    if not form.get("jurisdiction"):
        raise ValidationError({"jurisdiction": ["请填写行政区划代码，或在表中加“行政区划代码”列 / give a jurisdiction"]})
    return frame, form["date"], form["jurisdiction"]
