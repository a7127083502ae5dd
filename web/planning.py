"""Planning area: upload districts and candidate projects (or use the Jiujiang sample), set the budget, the plan
year and the objective, run the allocator as a background job with its progress line, and see the districts
before/after, the chosen projects and each target met or short with its reason; download the plan workbook."""

from __future__ import annotations

import io

from flask import Blueprint, jsonify, render_template, request, url_for

from web.budget import _upload
from web.errors import flatten
from web.jobs import (JobError, job_or_404, owner, request_body, result_file, runner, started, uploaded, uploads,
                      waiting_page, workbook_bytes)
from web.schemas import AllocationRequest, ValidationError, load
from web.security import login_required

bp = Blueprint("planning", __name__)


def _problem(data: dict, files: dict):
    """The placement problem of the request, checked (ValidationError naming the bad cells)."""
    from allocator.data import PlanningInputError, read_table
    from allocator.planning import PlacementProblem
    from allocator.sample import jiujiang_county_table, jiujiang_projects, jiujiang_townships

    try:
        if data["sample"]:
            sample = jiujiang_townships if data["units"] == "township" else jiujiang_county_table
            districts, projects = sample(), jiujiang_projects()
        else:
            districts, projects = read_table(files["districts_file"]), read_table(files["projects_file"])
        return PlacementProblem.from_frames(districts, projects, plan_year=data["year"], first_year=data["first_year"],
                                            budget=data["budget"], jurisdiction=data["jurisdiction"],
                                            only_targets=tuple(data["targets"]) if data["targets"] else None)
    except PlanningInputError as error:
        fields: dict[str, list[str]] = {}
        for problem_ in error.problems[:200]:  # table.row.column, as the upload's cells
            name = ".".join(str(part) for part in (problem_.table, problem_.row, problem_.column) if part is not None)
            fields.setdefault(name, []).append(f"{problem_.reason_zh} / {problem_.reason_en}")
        raise ValidationError(fields or {"file": [str(error)]}) from None
    except (ValueError, KeyError) as error:
        raise ValidationError({"_schema": [str(error).strip("'\"")]}) from None


def start(body):
    data = load(AllocationRequest(), body)
    data.pop("csrf_token", None)
    files = {} if data["sample"] else {name: _upload(name).getvalue() for name in ("districts_file", "projects_file")}
    _problem(data, {name: io.BytesIO(content) for name, content in files.items()})  # bad input: 422 now
    return runner().submit("allocation", owner(), {"data": data, "files": uploads(files)})


def run_job(job, request: dict, session):
    """In a worker: the plan (its figures as JSON) and the plan workbook."""
    from allocator.report import write_plan_workbook
    from allocator.solver import SolverFailure, SolverOptions

    data = request["data"]
    problem = _problem(data, {name: uploaded(request, name) for name in ("districts_file", "projects_file")})
    options = SolverOptions(data["backend"], data["time_limit"])
    job.report(f"区划{len(problem.districts)}个，候选项目{len(problem.projects)}个 / "
               f"{len(problem.districts)} districts, {len(problem.projects)} candidates", 0.0)
    try:
        result = problem.solve(data["objective"], options, lambda progress: job.report(progress.line()))
    except (SolverFailure, ValueError) as error:
        raise JobError(error) from None
    return result.as_dict(), workbook_bytes(lambda file: write_plan_workbook(result, file))


def job_answer(job) -> dict:
    answer = job.as_dict()
    answer["status_url"] = url_for("planning.job_api", job_id=job.id)
    if job.status == "done":
        answer["result"] = job.result
        answer["report_url"] = url_for("planning.report", job_id=job.id)
    return answer


def target_choices() -> list[dict]:
    from allocator.targets import SPECS

    return [{"id": spec.id, "zh": spec.title_zh, "en": spec.title_en} for spec in SPECS.values()]


@bp.get("/planning")
@login_required
def planning_page():
    return render_template("planning.html", values={}, errors={}, targets=target_choices())


@bp.post("/planning")
@login_required
def planning_run():
    form = request.form.copy()
    form["sample"] = "sample" in request.form
    try:
        job = start(form)
    except ValidationError as error:
        return render_template("planning.html", values=request.form, errors=flatten(error.messages),
                               targets=target_choices()), 422
    return waiting_page(job, "planning")


@bp.get("/planning/jobs/<job_id>")
@login_required
def result_page(job_id: str):
    job = job_or_404(job_id, "allocation")
    if job.status != "done":
        return waiting_page(job, "planning")
    # every unmet target has its row (and reason) in the page's table, so the list above it is the summary
    return render_template("planning_result.html", result=job.result,
                           report_url=url_for("planning.report", job_id=job.id))


@bp.get("/planning/jobs/<job_id>/plan.xlsx")
@login_required
def report(job_id: str):
    return result_file(job_or_404(job_id, "allocation"), "carecalc-规划方案.xlsx")


@bp.get("/planning/template/<table>.xlsx")
@login_required
def planning_template(table: str):
    """The template of a planning table (规划单位 or 候选项目) with Chinese headers and an example row."""
    import io

    from flask import abort, send_file

    from allocator.data import write_planning_template

    if table not in ("districts", "projects"):
        abort(404)
    buffer = io.BytesIO()
    write_planning_template(buffer, table)
    buffer.seek(0)
    name = {"districts": "规划单位模板.xlsx", "projects": "候选项目模板.xlsx"}[table]
    return send_file(buffer, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/api/v1/allocations")
@login_required
def create_allocation():
    """JSON ({"sample": true, "year": 2025, "budget": "5亿", …}) or a multipart form with districts_file and
    projects_file. Answers 202 with the job; poll its status_url (or ?wait=N to wait up to N seconds)."""
    return started(start(request_body()), job_answer)


@bp.get("/api/v1/allocations/<job_id>")
@login_required
def job_api(job_id: str):
    job = runner().wait(job_or_404(job_id, "allocation"), request.args.get("wait", 0, type=float) or 0)
    return jsonify(job_answer(job))
