"""The work queue's rows: every case a user may see with what a clerk decides by — the rules' verdict and monthly
amount (the answer the case page shows: the one its latest step recorded), the township's name, how long the case
has waited in its current step by the server's clock, and whose step it awaits — in ONE query, sorted and filtered
in the database. No case is evaluated again here: each step stored the rules engine's answer in its audit entry,
and care_services.case_verdicts copies its verdict, amount and the time the state began onto the case, so a queue
of thousands of cases is one SELECT over ``cases`` (bench/work_queue.py measures it against evaluating each row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from care_services import casework, clock
from care_services.model import CareCase, Division, User
from subsidy_rules import workflow as wf

VERDICTS = ("yes", "no", "pending")  # ✔ eligible, ✘ not eligible, 待定 (facts missing or not yet decided)
SORTS = ("id", "applicant", "scheme", "state", "township", "amount", "verdict", "waiting", "submitted")
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class Row:
    id: int
    scheme: str
    state: str
    state_zh: str  # the state as its procedure names it
    applicant: str
    division_code: str
    township: str
    community: str
    submitted_on: dt.date
    verdict: str  # one of VERDICTS
    amount: float | None  # 元 per month, as the rules' latest answer computed it
    since: dt.date | None  # the (Beijing) day the case entered its current state
    waiting_days: int | None  # days in the current step, for a case waiting for a step
    awaited_role: str | None  # whose step the case waits for (None: no step pending)


def _columns():
    """The query's columns and the SQL expressions the queue sorts and filters by."""
    township = aliased(Division)
    verdict = func.coalesce(CareCase.verdict, "pending")
    expressions = {
        "id": CareCase.id,
        "applicant": func.coalesce(CareCase.person_facts["name"].as_string(), CareCase.carer_or_institution),
        "scheme": CareCase.scheme,
        "state": case({state: order for order, state in enumerate(wf.STATES)}, value=CareCase.state, else_=len(wf.STATES)),
        "township": func.coalesce(township.name, CareCase.township_name),
        "amount": CareCase.amount_month,
        "verdict": case({"yes": 0, "pending": 1, "no": 2}, value=verdict, else_=1),
        "waiting": func.coalesce(CareCase.state_since, CareCase.submitted_on),
        "submitted": CareCase.submitted_on,
    }
    statement = (
        select(CareCase.id, CareCase.scheme, CareCase.state, expressions["applicant"].label("applicant"),
               CareCase.division_code, expressions["township"].label("township"), CareCase.community_name,
               CareCase.submitted_on, verdict.label("verdict"), CareCase.amount_month.label("amount"),
               CareCase.state_since.label("since"), CareCase.requested_service, CareCase.institution_type)
        .outerjoin(township, and_(township.code == CareCase.division_code, township.level == "township"))
    )
    return statement, expressions, verdict


def rows(session: Session, user: User, *, state: str | None = None, scheme: str | None = None,
         verdict: str | None = None, sort: str = "waiting", order: str = "desc") -> list[Row]:
    """The cases of the user's jurisdiction (filtered by state, scheme and verdict), sorted by ``sort``: one query.

    ``waiting`` sorts by days in the current step (``desc``: the longest waiting first)."""
    statement, expressions, verdict_expression = _columns()
    statement = statement.where(casework.visible(user))
    if state:
        statement = statement.where(CareCase.state == state)
    if scheme:
        statement = statement.where(CareCase.scheme == scheme)
    if verdict:
        statement = statement.where(verdict_expression == verdict)
    key = expressions[sort]
    ascending = (order == "asc") != (sort == "waiting")  # more days waiting = an earlier day entered
    ordered = key.asc() if ascending else key.desc()
    statement = statement.order_by(ordered.nulls_last(), CareCase.id.desc() if order == "desc" else CareCase.id)
    today = clock.today()
    sectors = casework.institution_schemes()
    result = []
    steps: dict[tuple, tuple[str, str | None]] = {}  # whose step, by what decides it (a handful of combinations)
    for r in session.execute(statement):
        decided_by = (r.scheme, r.state, r.requested_service, r.institution_type)
        if decided_by not in steps:
            procedure = "disability_care" if r.scheme == casework.SCHEME else "institution_subsidy"
            flow = wf.Case(r.division_code, r.requested_service, r.institution_type, r.state, procedure=procedure,
                           sector=sectors.get(r.scheme))
            awaited = flow.steps.awaited.get(r.state) if r.state in flow.steps.pending else None
            steps[decided_by] = (flow.steps.states.get(r.state, r.state), awaited and wf.role_for(flow, awaited))
        state_zh, role = steps[decided_by]
        since = clock.local_date(r.since) if r.since else None
        result.append(Row(
            id=r.id, scheme=r.scheme, state=r.state, state_zh=state_zh, applicant=r.applicant or "",
            division_code=r.division_code, township=r.township or "", community=r.community_name or "",
            submitted_on=r.submitted_on, verdict=r.verdict, amount=r.amount, since=since,
            waiting_days=(today - (since or r.submitted_on)).days if role else None, awaited_role=role))
    return result


def mine(queue_rows: list[Row], user: User) -> list[Row]:
    """The rows waiting for a step of the user's role (segregation of duties is checked on the case page)."""
    return [row for row in queue_rows if row.awaited_role == user.role]
