"""Eligibility area: the pre-check of every scheme (no login needed) and its JSON API.

The pre-check is for applicants and their families: labels and answers in plain Chinese (ids only in the API),
the place of hukou picked 市→县→乡镇, the server's today as the date (no 审批日期: the procedure sets it), the answer
with one sentence per failed condition, the amount per month and per year, and where to apply and what to bring.
A place where the scheme is not in force is answered so ("本政策适用于宜春市"), not with ✘ on every condition.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for

from care_services import clock
from care_services.casework import SCHEME, institution_schemes
from subsidy_rules.engine import UnknownScheme, all_schemes, evaluate_frame, explain_rows, get_scheme, where_in_force
from web.database import current_parameters
from web.database import session as db_session
from web.divisions import division_tree, place_name
from web.downloads import xlsx_download
from web.i18n import TEXT as _TEXT
from web.i18n import english_label, in_language, is_id_list, t
from web.schemas import BatchRequest, CityQuery, EvaluateRequest, ValidationError, applied_scenario, load, load_facts
from web.security import anonymous_rate_limited

bp = Blueprint("eligibility", __name__)

HUKOU = "hukou_division_code"  # picked 市→县→乡镇; the county it lies in is where the scheme is evaluated
PROCEDURE_FACTS = frozenset({"approved_on"})  # 审批日期: set by the procedure (20号 五（五）), never asked in advance
# Facts a person reads better under another name than the data's (the code of a place is a place).
PUBLIC_LABELS = {HUKOU: ("户籍所在地", "Place of hukou registration")}
# Integer facts with a fixed set of values, picked from a list (残疾等级 一级…四级 on the certificate).
INTEGER_CHOICES = {"disability_grade": {1: ("一级", "grade 1"), 2: ("二级", "grade 2"), 3: ("三级", "grade 3"),
                                        4: ("四级", "grade 4")}}


def _english() -> bool:
    return g.get("lang") == "en"


@bp.app_template_global()
def scheme_title(scheme_id: str) -> str:
    try:
        scheme = get_scheme(scheme_id)
    except UnknownScheme:
        return scheme_id
    return scheme.title_en if _english() else scheme.title_zh


def _fact_spec(scheme_id: str, name: str):
    try:
        return next(f for f in get_scheme(scheme_id).facts if f.key == name)
    except (UnknownScheme, StopIteration):
        return None


@bp.app_template_global()
def fact_title(scheme_id: str, name: str) -> str:
    """A fact's name as the user reads it (the form's label)."""
    if name in PUBLIC_LABELS:
        return PUBLIC_LABELS[name][_english()]
    spec = _fact_spec(scheme_id, name)
    if spec is None:
        return name
    if not _english():
        return spec.zh
    return english_label(name).capitalize() if is_id_list(spec.description) or not spec.description else spec.description


@bp.app_template_global()
def missing_title(scheme_id: str, name: str) -> str:
    """A missing fact as the answer asks for it: a daily activity as a question (能否自主吃饭), else its label."""
    if name.startswith("adl_") and name in _TEXT:
        return t("adl_missing") + t(name)
    return fact_title(scheme_id, name)


# Explanations stored before the engine named the missing facts itself end their undecided step with the
# developer's pointer "见 missing_facts"; a page says which facts instead (the answer carries their list).
LEGACY_MISSING_POINTER = re.compile(r"[，,]?\s*见\s*missing_facts")


@bp.app_template_global()
def step_text(answer: dict, step) -> str:
    """One step of an explanation, stored or fresh, in the page's language, with the legacy pointer to the
    missing facts (old stored explanations) replaced by the facts' names."""
    text = in_language(step)
    if "missing_facts" not in text:
        return text
    names = t("list_separator").join(missing_title(answer.get("scheme", ""), name)
                                     for name in answer.get("missing_facts") or ())
    wording = (f" ({names})" if _english() else f"（{names}）") if names else ""
    return LEGACY_MISSING_POINTER.sub(wording, text).replace("missing_facts", t("missing_facts"))


@bp.app_template_global()
def choice_label(scheme_id: str, name: str, value) -> str:
    """A value of a choice fact as the reader's language names it (never the stored id such as home_care)."""
    if name in INTEGER_CHOICES:
        try:
            return INTEGER_CHOICES[name][int(value)][_english()]
        except (KeyError, ValueError, TypeError):
            return str(value)
    if _english():
        key = f"choice.{value}"
        return t(key) if key in _TEXT else english_label(value)
    spec = _fact_spec(scheme_id, name)
    return spec.choices.get(value, value) if spec is not None and spec.choices else str(value)


@bp.app_template_global()
def fact_text(scheme_id: str, name: str, value) -> str:
    """A fact's value as the form shows it: 是/否, the scheme's Chinese name of a category, — when unknown."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return t("yes") if value else t("no")
    if name == HUKOU:
        return place_label(str(value))
    spec = _fact_spec(scheme_id, name)
    if name in INTEGER_CHOICES or (spec is not None and spec.choices):
        return choice_label(scheme_id, name, value)
    return str(value)


@bp.app_template_global()
def place_label(code: str) -> str:
    """A division as its people name it: 宜春市袁州区湛郎街道 (the code where the system holds no such division)."""
    from care_services.model import Division

    names = []
    for length in (4, 6, 9):
        if len(code) >= length:
            division = db_session().get(Division, code[:length].ljust(6, "0") if length == 4 else code[:length])
            if division is not None:
                names.append(division.name)
    return "".join(names) or code


@bp.app_template_global("place_name")
def _place_name(prefix: str, lang: str = "zh") -> str:
    return place_name(prefix, lang)


def scheme_or_404(scheme_id: str):
    try:
        return get_scheme(scheme_id)
    except UnknownScheme:
        abort(404)


def in_force_places(scheme, today: dt.date, parameters=None) -> list[str] | None:
    """The jurisdictions (code prefixes) where the scheme is in force today; None where it has no such bound."""
    if not scheme.in_force:
        return None
    day = today.isoformat()
    spans = where_in_force(scheme, parameters or current_parameters())
    return sorted({s["jurisdiction"] for s in spans if s["from"] <= day and (s["until"] is None or day < s["until"])})


def run(scheme_id: str, facts: dict, date: dt.date | None, jurisdiction: str, scenario: dict | None = None) -> dict:
    """One evaluation, computed together with any others arriving at the same time (web/batcher.py); under a
    what-if ``scenario`` (checked by the schema) the answer marks each changed value (subsidy_rules/scenario.py)."""
    parameters = current_parameters()
    applied = applied_scenario(scenario, parameters)
    answer = current_app.extensions["carecalc_batcher"].evaluate(
        scheme_id, facts, date=date, jurisdiction=jurisdiction, parameters=applied.parameters if applied else parameters)
    return applied.mark_answer(answer) if applied else answer


# ------------------------------------------------------------------------------------------------ pages


@bp.get("/check")
def schemes_page():
    """The schemes, each with where it is in force today; ?city= keeps those in force in that city."""
    from care_services.identifiers import code_prefix
    from care_services.overview import cities

    try:
        query = load(CityQuery(), request.args)
    except ValidationError as error:
        return render_template("error.html", status=400, zh="查询参数有误", en="bad query", fields=error.messages), 400
    today = clock.today()
    parameters = current_parameters()
    schemes = [{**s.describe(), "places": in_force_places(s, today, parameters)} for s in all_schemes()]
    if query["city"]:
        inside = code_prefix(query["city"])
        schemes = [s for s in schemes if s["places"] is None
                   or any(inside.startswith(p) or p.startswith(inside) for p in s["places"])]
    return render_template("schemes.html", schemes=schemes, city=query["city"],
                           cities=[{"code": c.code, "name": c.name} for c in cities(db_session())])


def _form_facts(scheme) -> dict:
    """The form's inputs as the JSON the API takes: blank (or 未知) is unknown; procedure facts are never read."""
    raw = {}
    for spec in scheme.facts:
        value = request.form.get(f"fact.{spec.key}", "").strip()
        if value and spec.key not in PROCEDURE_FACTS:
            raw[spec.key] = value
    return raw


def _known_place(code: str) -> bool:
    from care_services.model import Division

    return code.isdigit() and len(code) in (6, 9) and db_session().get(Division, code) is not None


def _where(scheme, raw: dict, places: list[str] | None) -> tuple[str, dict]:
    """Where the pre-check is evaluated, and any error of the field that says so.

    A person's scheme is evaluated in the county of the person's hukou (20号 五（一）: the application is made
    where the hukou is); hukou unknown, in the one place the scheme is in force (the answer then asks for it).
    Any other scheme in the county picked."""
    if HUKOU not in scheme.fact_names:
        return request.form.get("jurisdiction", "").strip(), {}
    hukou = raw.get(HUKOU)
    if hukou and not _known_place(hukou):
        return "", {f"facts.{HUKOU}": ["请从列表中选择户籍所在地 / choose the place from the list"]}
    if hukou:
        return hukou[:6], {}
    if places and len(places) == 1:
        return places[0].ljust(6, "0"), {}
    return "", {f"facts.{HUKOU}": ["请选择户籍所在地 / choose the place of hukou registration"]}


@bp.route("/check/<scheme_id>", methods=["GET", "POST"])
def check_page(scheme_id: str):
    scheme = scheme_or_404(scheme_id)
    today = clock.today()
    places = in_force_places(scheme, today)
    context = {"scheme": scheme.describe(), "form_facts": form_facts(scheme), "tree": division_tree(places),
               "places": places, "has_hukou": HUKOU in scheme.fact_names, "values": {}, "errors": {},
               "answer": None, "public_check": True, "today": today}
    if request.method == "GET":
        return render_template("check.html", **context)
    raw = _form_facts(scheme)
    jurisdiction, errors = _where(scheme, raw, places)
    context["values"] = {**raw, "_jurisdiction": request.form.get("jurisdiction", "")}
    try:
        query, facts = checked(scheme.id, {"facts": raw, "jurisdiction": jurisdiction, "date": today.isoformat()})
    except ValidationError as error:
        from web.errors import flatten

        errors = {**flatten(error.messages), **errors}
    if errors:
        if context["has_hukou"] and "jurisdiction" in errors:  # the county is the hukou's: its field says so
            errors.setdefault(f"facts.{HUKOU}", errors.pop("jurisdiction"))
        context["errors"] = errors
        return render_template("check.html", **context), 422
    answer = run(scheme.id, facts, today, query["jurisdiction"])
    context.update(answer=answer, guide=guide(scheme, answer, raw),
                   applicable=scheme.id == SCHEME or scheme.id in institution_schemes(),
                   prefill={"facts": raw, "jurisdiction": query["jurisdiction"]})
    return render_template("check.html", **context)


def form_facts(scheme) -> list[dict]:
    """The facts the public form asks, in the scheme's order, grouped: the daily activities (6项指标) form one
    question of their own; the hukou is the picker; procedure facts (审批日期) are not asked."""
    facts = [f for f in scheme.describe()["facts"] if f["name"] not in PROCEDURE_FACTS and f["name"] != HUKOU]
    for f in facts:
        f["group"] = "adl" if f["name"].startswith("adl_") else "facts"
        if f["name"] in INTEGER_CHOICES:
            f["choices"] = list(INTEGER_CHOICES[f["name"]])
    return facts


def guide(scheme, answer: dict, raw: dict) -> dict:
    """What the page says beyond the criteria: why (one sentence per failed condition), the yearly amount, where
    the policy applies when not here, and what to do next."""
    english = _english()
    reasons = []
    if answer["eligible"] is False and answer["in_force"]:
        if scheme.reasons:
            reasons = [r["en" if english else "zh"] for r in scheme.reasons(answer)]
        else:
            reasons = [(f"Not met: {c['title_en']}" if english else f"不符合：{c['title_zh']}")
                       for c in answer["criteria"] if c["passed"] is False and c["applicable"]]
    yearly = None
    if answer["amount"] is not None and answer.get("period") == "monthly":
        yearly = round(answer["amount"] * 12, 2)
    applies_in = None
    if not answer["in_force"]:
        names = list(dict.fromkeys(place_name(s["jurisdiction"], "en" if english else "zh")  # each place once
                                   for s in (answer.get("not_in_force") or {}).get("in_force_in", [])))
        applies_in = (f"This policy applies in {', '.join(names)}" if english else f"本政策适用于{'、'.join(names)}") \
            if names else t("not_in_force")
    how = scheme.how_to_apply
    steps = None
    if how and answer["in_force"] and answer["eligible"] is not False:
        lang = "en" if english else "zh"
        steps = {"where": how[f"where_{lang}"], "bring": list(how[f"bring_{lang}"]), "after": how[f"after_{lang}"],
                 "reference": how["reference"], "office": place_label(raw[HUKOU]) if raw.get(HUKOU) else None,
                 "interpretation": how.get(f"interpretation_{lang}")}  # where the document is silent: our reading
    return {"reasons": reasons, "yearly": yearly, "applies_in": applies_in, "how_to_apply": steps,
            "here": _named(answer["jurisdiction"]) if not answer["in_force"] else None}


def _named(code: str) -> str | None:
    """A division's name, or None where the system holds no name for the code."""
    name = place_label(code)
    return None if name == code else name


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
    return jsonify(run(scheme.id, facts, query["date"], query["jurisdiction"], query.get("scenario")))


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
    """A JSON array of {facts, date, jurisdiction} (or {cases: [...], date, jurisdiction, scenario}), or an .xlsx
    upload (field ``file``; ``jurisdiction`` and ``date`` as form fields). ?format=xlsx answers with the result
    workbook. Under a what-if ``scenario`` every answer marks the changed values it used, as a single evaluation's
    does; the workbook has no such marks, so a scenario is answered in JSON only."""
    scheme = scheme_or_404(scheme_id)
    parameters = current_parameters()
    applied = None
    as_workbook = request.args.get("format") == "xlsx"
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
                         "date": case["date"] or batch["date"] or clock.today()})
        if errors:
            raise ValidationError(errors)
        frame, date, jurisdiction = pd.DataFrame(rows), None, None
        applied = applied_scenario(batch["scenario"], parameters)
        if applied:
            if as_workbook:
                raise ValidationError({"scenario": ["方案测算的结果只以JSON返回（结果表不标注方案值），请去掉 format=xlsx / "
                                                    "a scenario is answered in JSON only (the workbook would not mark "
                                                    "its values): drop format=xlsx"]})
            parameters = applied.parameters
    if as_workbook:
        from subsidy_rules.batch import evaluate_cases, write_results

        results = evaluate_cases(scheme.id, frame, date=date, jurisdiction=jurisdiction, parameters=parameters)
        return xlsx_download(lambda file: write_results(file, scheme, frame, results), f"carecalc-{scheme.id}-结果.xlsx")
    result = evaluate_frame(scheme.id, frame, date=date, jurisdiction=jurisdiction, parameters=parameters)
    answers = explain_rows(result)  # every row's explanation in one pass over the columns
    if applied:
        answers = [applied.mark_answer(answer) for answer in answers]
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
