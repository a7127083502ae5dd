"""Planning area: upload districts and candidate projects (or use the Jiujiang sample), set the budget, the plan
year and the objective, run the allocator as a background job with its progress line, and see the districts
before/after, the chosen projects and each target met or short with its reason; download the plan workbook."""

from __future__ import annotations

import io

from flask import Blueprint, jsonify, render_template, request, url_for

from allocator.names import OBJECTIVES
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
        result = problem.solve(data["objective"], options, lambda progress: job.report(*progress_line(progress)))
    except (SolverFailure, ValueError) as error:
        raise JobError(error) from None
    answer = result.as_dict()
    answer["plan_year"] = data["year"]  # the page shows the targets of this year (checkpoints before it are folded)
    return answer, workbook_bytes(lambda file: write_plan_workbook(result, file))


def progress_line(progress) -> tuple[str, float | None]:
    """The solver's progress as a planner reads it: time spent and parts done (its bound and gap are for the
    details of the result, not for the waiting page)."""
    if progress.done is not None:
        done, parts = progress.done
        return (f"正在计算方案：已用{progress.seconds:.0f}秒，已完成{done}/{parts}个区划 / computing the plan: "
                f"{progress.seconds:.0f} s, {done} of {parts} districts done", done / parts if parts else None)
    return (f"正在计算方案：已用{progress.seconds:.0f}秒 / computing the plan: {progress.seconds:.0f} s", None)


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
    from flask import g

    return render_template("planning_result.html", result=job.result, page=plan_page(job.result, g.lang == "en"),
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


# ------------------------------------------------------------------------------------------------ the result page

# The solver's verdict in a planner's words: whether the plan is the best one, not how the solver proved it.
VERDICT = {
    "optimal": ("方案已最优", "The plan is optimal"),
    "feasible": ("已得出可行方案（时限内未能确认为最优，可延长计算时限后重算）",
                 "A workable plan (not confirmed optimal within the time limit; allow more time to confirm)"),
    "infeasible": ("在现有预算和候选项目下没有可行方案", "No plan is possible with this budget and these candidates"),
    "no_solution": ("时限内未得出方案，请延长计算时限", "No plan within the time limit; allow more time"),
    "unbounded": ("方案无法确定，请检查输入", "The plan cannot be settled; check the inputs"),
    "error": ("计算出错", "The calculation failed"),
}
OBJECTIVE_TEXT = {key: tuple(text.split(" / ", 1)) for key, text in OBJECTIVES.items()}  # (中文, English)
SHORTFALL_UNIT_EN = {"个托位": "places", "个普惠托位": "inclusive places", "张床位": "beds",
                     "张护理型床位": "nursing beds", "个社区（村）": "communities or villages", "个社区": "communities",
                     "个行政村": "villages", "个街道": "streets", "平方米": "m²", "户": "homes", "所": "facilities",
                     "个": ""}
PHASES = {"shortfall": ("第一步：缺口最小", "step 1: least shortfall"), "cost": ("第二步：投资最省", "step 2: least cost")}
BACKEND_TEXT = {"highs": "HiGHS", "cp-sat": "CP-SAT", "scip": "SCIP"}


# A target's citation (document number, then its clause) for the English page: the document by its English
# name, the clause's numbering in figures and the few headings the targets cite in English.
DOCUMENT_EN = {"九府办字[2022]113号": "Jiujiang Government Office Document [2022] No. 113"}
CLAUSE_WORDS_EN = {"统筹服务设施布局": " (layout of service facilities)", "总体目标": " (overall targets)",
                   "托育方面": ", childcare", "政策清单": " (policy list)", "预期目标": " (expected targets)"}
CHINESE_NUMBERS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
                   "十": "10"}


def citation_en(citation: str) -> str:
    """九府办字[2022]113号 二（二）表1 第10项；二（一） → Jiujiang … No. 113, section 2(2), table 1 item 10; section 2(1)."""
    import re

    for zh, en in DOCUMENT_EN.items():
        citation = citation.replace(zh, en + ",")
    for zh, en in CLAUSE_WORDS_EN.items():
        citation = citation.replace(" " + zh, en).replace(zh, en)
    number = "|".join(CHINESE_NUMBERS)
    citation = re.sub(rf"(?<![\w(])({number})（({number})）", lambda m: f"section {CHINESE_NUMBERS[m[1]]}"
                      f"({CHINESE_NUMBERS[m[2]]})", citation)
    citation = re.sub(r"附件(\d+)", r"annex \1", citation)
    citation = re.sub(r"表(\d+)", r", table \1", citation)
    citation = re.sub(r"第(\d+)项", r"item \1", citation)
    return re.sub(r"\s+", " ", citation.replace("；", "; ").replace("，", ", ")).strip()


def _wan(yuan: float | None) -> str:
    """Yuan as 万元 with thousands separators (a plan's money is read in 万元)."""
    return f"{(yuan or 0) / 10_000:,.2f}"


def _pick(pair: tuple[str, str], en: bool) -> str:
    return pair[1] if en else pair[0]


def _shortfall_unit(zh: str | None, en: bool) -> str:
    return SHORTFALL_UNIT_EN.get(zh or "", "") if en else (zh or "")


def plan_page(result: dict, en: bool) -> dict:
    """What the planning result page shows, from the job's figures (PlacementResult.as_dict): the verdict, the plan
    in a few sentences (万元), only the plan year's targets — an indicator × district table of met / short and the
    unmet units grouped by indicator — and the solver's own figures for the details section."""
    years = sorted({t["year"] for t in result["targets"]} | {i["year"] for i in result["indicators"]})
    plan_year = result.get("plan_year") or (years[-1] if years else None)
    targets = [t for t in result["targets"] if t["year"] == plan_year]
    indicators = [i for i in result["indicators"] if i["year"] == plan_year]
    other_years = sorted({i["year"] for i in result["indicators"]} - {plan_year})

    spending = result.get("spending") or {}
    summary = [_pick(OBJECTIVE_TEXT.get(result["objective"], (result["objective"],) * 2), en)]
    summary[0] = (f"Aim: {summary[0]}." if en else f"规划目的：{summary[0]}。")
    if result["plan"]:
        cost = sum(p.get("cost") or 0 for p in result["plan"])
        subsidy = sum(p.get("subsidy") or 0 for p in result["plan"])
        summary.append(f"{len(result['plan'])} projects chosen: investment {_wan(cost)} (10k CNY), of which "
                       f"construction subsidies {_wan(subsidy)} (10k CNY)." if en else
                       f"选中项目{len(result['plan'])}个，项目投资{_wan(cost)}万元，其中建设补助{_wan(subsidy)}万元。")
    else:
        summary.append("No project is chosen." if en else "未选中任何项目。")
    if result.get("adaptation"):
        homes = sum(int(a["households"]) for a in result["adaptation"])
        summary.append(f"{homes:,} homes of older people adapted, {_wan(spending.get('households'))} (10k CNY)." if en
                       else f"适老化改造{homes:,}户，费用{_wan(spending.get('households'))}万元。")
    if spending.get("total") is not None and (result["plan"] or result.get("adaptation")):
        summary.append(f"In all: {_wan(spending['total'])} (10k CNY)." if en else f"合计{_wan(spending['total'])}万元。")
    counted = [i for i in indicators if i["status"] != "not_applicable"]
    short = [i for i in counted if i["status"] == "short"]
    if indicators:
        summary.append(f"Targets of {plan_year}: {len(counted) - len(short)} met, {len(short)} short, "
                       f"{len(indicators) - len(counted)} not applicable." if en else
                       f"{plan_year}年规划指标{len(indicators)}项：已达标{len(counted) - len(short)}项，尚有缺口{len(short)}项，"
                       f"不适用{len(indicators) - len(counted)}项。")
    if not en:  # the allocator's notes are "中文 / English" pairs
        summary.extend(f"{m['zh']}。" for m in result.get("messages", []))
    else:
        summary.extend(f"{m['en']}." for m in result.get("messages", []))

    # the indicator × district table: a row per planning unit the plan year's targets are counted on
    order = {d["division_code"]: n for n, d in enumerate(result["districts"])}
    units: dict[str, str] = {}
    for t in sorted(targets, key=lambda t: (t["unit"] != "全市", order.get(t["unit"], len(order)), t["unit"])):
        units.setdefault(t["unit"], t["unit_name"])
    columns = [i for i in indicators if i["status"] != "not_applicable"]
    cells = {(t["unit"], t["target"]): t for t in targets}
    matrix = [{"unit": code, "name": ("City-wide" if en and name == "全市" else name),
               "cells": [cells.get((code, i["target"])) for i in columns]} for code, name in units.items()]

    # the units short, grouped by indicator (largest shortfall first inside each)
    groups = []
    for indicator in short:
        rows = sorted((t for t in targets if t["target"] == indicator["target"] and not t["met"]),
                      key=lambda t: -t["shortfall"])
        groups.append({"indicator": indicator, "rows": rows})

    phases = [{**p, "label": _pick(PHASES.get(p["phase"].split(" ")[-1], (p["phase"], p["phase"])), en), "backend": BACKEND_TEXT.get(p["backend"], p["backend"]),
               "verdict": _pick(VERDICT.get(p["status"], (p["status"],) * 2), en)} for p in result.get("phases", [])]
    return {"verdict": _pick(VERDICT.get(result["status"], (result["status"],) * 2), en), "plan_year": plan_year,
            "summary": summary, "indicators": indicators, "columns": columns, "matrix": matrix, "groups": groups,
            "other_years": other_years, "phases": phases, "unmet_count": sum(len(g["rows"]) for g in groups),
            "unit_of": lambda zh: _shortfall_unit(zh, en), "wan": _wan,
            "citation": (citation_en if en else (lambda citation: citation))}
