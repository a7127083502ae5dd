"""Budget area: project outlays for the case records (or an uploaded caseload, or a synthetic one) and a facility
pipeline, under scenarios; tables, charts (stacked bars by funding level, a line per scenario) and the Excel report.
A projection runs as a background job (web/jobs.py) so a large caseload never blocks the page."""

from __future__ import annotations

import io

import yaml
from flask import Blueprint, jsonify, render_template, request, url_for

from subsidy_rules import scenario as scenario_file
from subsidy_rules.budget import Assumptions, Horizon, Scenario, payer_labels, payer_order, project
from subsidy_rules.overrides import effective_parameters
from subsidy_rules.parameters import ParameterError
from web import charts
from web.database import session as db_session
from web.errors import flatten
from web.schemas import BudgetRequest, ValidationError, load
from web.jobs import (JobError, job_or_404, owner, request_body, result_file, runner, started, uploaded, uploads,
                      waiting_page, workbook_bytes)
from web.security import current_user, login_required

bp = Blueprint("budget", __name__)


def _upload(name: str) -> io.BytesIO:
    from web.uploads import workbook_upload

    return workbook_upload(name)


def _scenarios(data: dict, assumptions: Assumptions, base) -> list[Scenario]:
    documents = list(data["scenarios"])
    picked = data.get("scenario_rows") or []  # the first scenarios came from the form's rows (web/schemas.BudgetForm)
    if data["scenario_yaml"]:
        try:
            documents += [d for d in yaml.safe_load_all(data["scenario_yaml"]) if d]
        except yaml.YAMLError as error:
            raise ValidationError({"scenario_yaml": [f"YAML格式有误 / not valid YAML: {error}"]}) from None
    scenarios = [Scenario(BASELINE, base, assumptions)]
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise ValidationError({f"scenarios.{index}": ["方案应为映射 / a scenario is a mapping"]})
        try:  # the scenario file format of the CLI (subsidy_rules/scenario.py): structured or flat, values checked
            structured = scenario_file.normalise(document, f"方案{index + 1}")
            scenario_file.check_values(structured["parameters"], base)
            scenarios.append(Scenario.from_mapping(structured, base=base, assumptions=assumptions))
        except (ParameterError, ValueError, TypeError) as error:
            if index < len(picked):  # a picked value below its floor: the message sits at its rows' value fields
                message = ("新值低于上级规定的“不低于”标准，或超出规定的区间 / the new value is below a floor set above "
                           "(不低于) or outside the range allowed")
                raise ValidationError({f"change-{row}-value": [message] for row in picked[index]}) from None
            raise ValidationError({f"scenarios.{index}": [str(error)]}) from None
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValidationError({"scenarios": ["方案名称不能重复 / scenario names must differ"]})
    return scenarios


def _inputs(data: dict, files: dict, session) -> tuple:
    """Everything a run needs, checked (ValidationError): the same steps when a job is started and when it runs."""
    from subsidy_rules.budget_report import BudgetInputError, read_pipeline
    from subsidy_rules.budget_sample import jiujiang_pipeline

    try:
        assumptions = Assumptions(data["occupancy"], data["enrolment"], data["growth"])
        horizon = Horizon.years(data["first_year"], data["last_year"])
    except ValueError as error:
        raise ValidationError({"_schema": [str(error)]}) from None
    scenarios = _scenarios(data, assumptions, effective_parameters(session))
    try:
        projects = (read_pipeline(files["projects_file"]) if files.get("projects_file") else
                    jiujiang_pipeline() if data["projects"] == "sample" else None)
    except BudgetInputError as error:
        raise ValidationError({"projects_file": [str(error)]}) from None
    if data["caseload"] == "none" and projects is None:
        raise ValidationError({"caseload": ["请至少选择在册对象或建设项目之一 / choose a caseload or a pipeline"]})
    return horizon, scenarios, projects


def start(body: dict, schema=None):
    """Check everything in the request (so bad input is a 422 now, not a failed job later), then queue the run."""
    data = load(schema or BudgetRequest(), body)
    data.pop("csrf_token", None)
    files = {name: _upload(name).getvalue() for name, chosen in (("caseload_file", data["caseload"]),
                                                                 ("projects_file", data["projects"]))
             if chosen == "upload"}
    _inputs(data, {name: io.BytesIO(content) for name, content in files.items()}, db_session())
    return runner().submit("budget", owner(), {"data": data, "files": uploads(files),
                                               "jurisdiction": current_user().jurisdiction_code})


def run_job(job, request: dict, session):
    """In a worker: the projections of every scenario; their figures and the workbook are the job's result."""
    from subsidy_rules.budget_report import BudgetInputError, read_caseload, report_json, write_report
    from subsidy_rules.budget_sample import synthetic_caseload

    data = request["data"]
    horizon, scenarios, projects = _inputs(data, {"projects_file": uploaded(request, "projects_file")}, session)
    caseload_file = uploaded(request, "caseload_file")
    cases = None
    if data["caseload"] == "cases":
        from care_services.casework import recipients

        cases = recipients(session, request["jurisdiction"])  # only the user's own jurisdiction
    projections = []
    try:
        for number, scenario in enumerate(scenarios, start=1):
            if data["caseload"] == "synthetic":
                chunks = synthetic_caseload(data["synthetic"], first_year=data["first_year"],
                                            last_year=data["last_year"])
            elif caseload_file is not None:
                caseload_file.seek(0)
                chunks = read_caseload(caseload_file)
            else:
                chunks = cases if cases is not None and len(cases) else None
            job.report(f"测算方案 {scenario.name}（{number}/{len(scenarios)}） / projecting {scenario.name}",
                       (number - 1) / len(scenarios))
            projections.append(project(chunks, projects, horizon, scenario))
    except (BudgetInputError, ValueError) as error:
        raise JobError(error) from None
    job.report("写出报表 / writing the workbook", 0.95)
    return report_json(projections), workbook_bytes(lambda file: write_report(projections, file))


BASELINE = "baseline"  # the scenario of today's standards, as the API and the workbook name it internally


def level_names(en: bool) -> dict[str, str]:
    """Payer id → its name in the page's language."""
    from subsidy_rules.engine import all_schemes

    return {p.id: p.en for s in all_schemes() for p in s.payers} if en else payer_labels()


def scenario_label(name: str, en: bool) -> str:
    """A scenario's name as staff read it: the baseline is 基准方案 (Baseline on an English page)."""
    return ("Baseline" if en else "基准方案") if name == BASELINE else name


def figures(report: dict, en: bool = False) -> dict:
    """The job's figures (subsidy_rules.budget_report.report_json) with their charts, scenario labels and the
    comparison's columns named for people (amounts stay in 元; the page shows 万元)."""
    labels = level_names(en)
    for scenario in report["scenarios"]:
        scenario["label"] = scenario_label(scenario["name"], en)
        stacked: dict[str, dict[str, float]] = {}
        for row in scenario["by_year_level"]:
            stacked.setdefault(str(row["year"]), {})[labels.get(row["level"], row["level"])] = row["amount"]
        levels = [labels[level] for level in payer_order() if any(labels[level] in v for v in stacked.values())]
        title = f"{scenario['label']}: by funding level" if en else f"{scenario['label']}：按资金层级"
        scenario["chart"] = charts.stacked_bars(title, stacked, levels)
    report["lines"] = charts.lines("Yearly outlays per scenario" if en else "各方案年度支出",
                                   {s["label"]: {str(r["year"]): r["amount"] for r in s["by_year"]}
                                    for s in report["scenarios"]})
    if report.get("comparison"):
        names = [s["name"] for s in report["scenarios"]]
        columns = []
        for key in report["comparison"][0]:
            if key in ("scheme", "year"):
                continue
            scenario, _, base = key.partition(" − ")
            if base:
                heading = (f"{scenario_label(scenario, en)} − {scenario_label(base, en)}" if en else
                           f"{scenario_label(scenario, en)}比{scenario_label(base, en)}增减")
            else:
                heading = scenario_label(key, en) if key in names else key
            columns.append({"key": key, "heading": heading})
        report["comparison_columns"] = columns
    return report


def job_answer(job) -> dict:
    answer = job.as_dict()
    answer["status_url"] = url_for("budget.job_api", job_id=job.id)
    if job.status == "done":
        answer["result"] = job.result
        answer["report_url"] = url_for("budget.report", job_id=job.id)
    return answer


# ------------------------------------------------------------------------------------------------ pages


def picker_choices(parameters, en: bool) -> list[dict]:
    """The parameters a scenario row may change (web.schemas.picker_parameters), as options of the picker."""
    from web.parameters import parameter_choice
    from web.schemas import picker_parameters

    return sorted((parameter_choice(parameters, name, en) for name in picker_parameters()), key=lambda c: c["title"])


def _form_page(values, errors, status: int = 200):
    from flask import g

    from web.schemas import SCENARIO_ROWS, budget_years

    first, last = budget_years()
    return render_template("budget.html", values=values, errors=errors, rows=range(1, SCENARIO_ROWS + 1),
                           choices=picker_choices(effective_parameters(db_session()), g.lang == "en"),
                           defaults={"first_year": first, "last_year": last}), status


@bp.get("/budget")
@login_required
def budget_page():
    return _form_page({}, {})


@bp.post("/budget")
@login_required
def budget_run():
    from web.schemas import BudgetForm

    try:
        from flask import g

        job = start({k: v for k, v in request.form.items()},
                    BudgetForm(default_name="Scenario 1" if g.lang == "en" else "方案1"))
    except ValidationError as error:
        return _form_page(request.form, flatten(error.messages), 422)
    return waiting_page(job, "budget")


@bp.get("/budget/jobs/<job_id>")
@login_required
def result_page(job_id: str):
    job = job_or_404(job_id, "budget")
    if job.status != "done":
        return waiting_page(job, "budget")
    from flask import g

    en = g.lang == "en"
    levels = level_names(en)
    return render_template("budget_result.html", job=job.as_dict(), report=figures(job.result, en),
                           report_url=url_for("budget.report", job_id=job.id), levels=levels)


@bp.get("/budget/jobs/<job_id>/report.xlsx")
@login_required
def report(job_id: str):
    return result_file(job_or_404(job_id, "budget"), "carecalc-预算测算.xlsx")


# ------------------------------------------------------------------------------------------------ API


@bp.post("/api/v1/budget/projections")
@login_required
def create_projection():
    """JSON, or a multipart form with caseload_file / projects_file uploads. ?wait=N waits up to N seconds."""
    return started(start(request_body()), job_answer)


@bp.get("/api/v1/budget/projections/<job_id>")
@login_required
def job_api(job_id: str):
    job = runner().wait(job_or_404(job_id, "budget"), request.args.get("wait", 0, type=float) or 0)
    return jsonify(job_answer(job))
