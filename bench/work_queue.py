"""The work queue of a county with thousands of cases: care_services.work_queue's one query (verdict, amount,
township, days waiting from the answers the steps stored) against the per-row way — the rules engine asked again
for every case, as a queue computing its verdicts on the fly would — on the same cases in the same run. It also
times the whole /cases page (one request through Flask, as a clerk opens it).

    python bench/work_queue.py [--cases 3000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from care_services import casework, work_queue  # noqa: E402
from care_services.accounts import create_user  # noqa: E402
from care_services.db import init_db, make_engine, session_scope  # noqa: E402
from care_services.identifiers import make_resident_id  # noqa: E402
from care_services.model import AuditEntry, CareCase, Person, User  # noqa: E402
from care_services.store import load_sample  # noqa: E402
from subsidy_rules.overrides import effective_parameters  # noqa: E402

COUNTY, TOWNSHIP = "360902", "360902100"
STATES = ("submitted", "township_reviewed", "assessed", "sector_reviewed", "identity_checked", "active", "rejected")
PASSWORD = "bench horse 1 staple"


def build(url: str, count: int) -> None:
    """``count`` cases of 袁州区 in every state, each with the audit entries (and stored answers) of its steps."""
    engine = make_engine(url)
    init_db(engine)
    load_sample(engine)
    with session_scope(engine) as session:
        create_user(session, "clerk", PASSWORD, "disability_federation_reviewer", COUNTY, created_by="bench")
        parameters = effective_parameters(session)
        for number in range(count):
            id_number = make_resident_id(COUNTY, dt.date(1940, 1, 1) + dt.timedelta(days=number), 1)
            category = "41" if number % 5 else "11"  # every fifth a 视力 certificate: ✘
            facts = {"name": f"申请人{number}", "hukou_division_code": COUNTY, "hukou_area": "rural",
                     "dibao_household": True, "at_risk_of_poverty": False, "tekun_supported": False,
                     "disability_certificate_number": id_number + category,
                     **({name: True for name in ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting")}
                        if number % 3 else {})}
            session.merge(Person(id_number=id_number, **facts))
            session.flush()  # the person before the case that refers to it
            case = CareCase(person_id_number=id_number, division_code=TOWNSHIP, person_facts=facts,
                            township_name="测试镇", community_name="红星村", requested_service="home_care",
                            carer_or_institution="照护人", bank_account="6228480012345678901",
                            submitted_on=dt.date(2024, 3, 1), state=STATES[number % len(STATES)])
            session.add(case)
            session.flush()
            answer = casework.explain(case, casework.applicant_of(case), dt.date(2024, 3, 1), parameters)
            session.add(AuditEntry(username="clerk", role="township_reviewer", entity="case", entity_key=str(case.id),
                                   action="submit", to_state="submitted", explanation=answer,
                                   parameter_version=parameters.version))
            if case.state != "submitted":
                session.add(AuditEntry(username="clerk", role="township_reviewer", entity="case",
                                       entity_key=str(case.id), action="township_review", from_state="submitted",
                                       to_state=case.state, explanation=answer, parameter_version=parameters.version))
            if number % 500 == 499:
                session.flush()
    engine.dispose()


def timed(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    url = options.database or f"sqlite:///{Path(folder.name) / 'queue.sqlite3'}"
    start = time.perf_counter()
    build(url, options.cases)
    print(f"set-up: {options.cases} cases in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    engine = make_engine(url)
    with session_scope(engine) as session:
        from sqlalchemy import select

        user = session.scalar(select(User).where(User.username == "clerk"))
        rows = work_queue.rows(session, user)
        assert len(rows) == options.cases
        one_query = timed(lambda: work_queue.rows(session, user), options.repeat)
        parameters = effective_parameters(session)
        cases = list(session.scalars(select(CareCase).where(casework.visible(user))))

        def per_row():
            return [casework.explain(c, casework.applicant_of(c), dt.date(2024, 3, 11), parameters) for c in cases]

        answers = per_row()
        verdicts = {"yes": True, "no": False, "pending": None}
        stored = {row.id: verdicts[row.verdict] for row in rows}
        assert all(stored[c.id] == a.get("eligible") for c, a in zip(cases, answers)), "the stored verdicts differ"
        storm = timed(per_row, max(1, options.repeat // 2))

    from web import create_app

    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "bench", "JOB_WORKERS": 0})
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert client.get("/cases").status_code == 200
    page = timed(lambda: client.get("/cases"), options.repeat)
    app.extensions["carecalc_jobs"].shutdown()
    engine.dispose()
    print(f"work queue of {options.cases} cases: one query {one_query * 1000:.1f} ms; "
          f"the rules asked again per row {storm * 1000:.1f} ms (baseline); ratio {one_query / storm:.3f}; "
          f"the /cases page {page * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
