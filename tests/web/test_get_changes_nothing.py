"""GET never changes state (issue 14): every GET route of the app, pages and API, as staff of several roles and
anonymously, leaves every table of the database exactly as it was — except the payment roll's, whose GET is
being made read-only separately (part B of issue 14; it still generates a draft roll)."""

from __future__ import annotations

import hashlib

from sqlalchemy import MetaData, select

from tests.workflow.conftest import submit, walk

EXEMPT = {"cases.payroll_api", "cases.payroll_page", "static"}
VALUES = {  # path arguments to try: a real one and one that does not exist
    "scheme_id": ["disability_care", "childcare_operation", "nothing"],
    "entity": ["people", "nothing"],
}
QUERIES = {  # a GET route with its query strings worth trying (besides none)
    "cases.list_cases": ["?queue=1", "?state=active", "?state=bogus"],
    "cases.queue_page": ["?state=submitted"],
    "cases.new_case_page": ["?scheme=childcare_construction", "?scheme=nothing"],
    "cases.notice_api": ["?jurisdiction=360902", "?jurisdiction=360902&format=xlsx", "?jurisdiction=360921"],
    "cases.notice_page": ["?jurisdiction=360902&community=红星村"],
    "divisions.index": ["?lang=en", "?city=360900"],
    "parameters.list_parameters": ["?q=home_care"],
    "parameters.parameters_page": ["?q=floor"],
    "auth.login": ["?next=/cases"],
}


def database_state(engine) -> dict[str, str]:
    """A digest of every table's rows (order-free), by table."""
    metadata = MetaData()
    metadata.reflect(engine)
    state = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            state[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f" ({len(rows)} rows)"
    return state


def urls_of(app, case_ids: list[int], job_ids: list[str]) -> dict[str, list[str]]:
    values = {**VALUES, "case_id": [*map(str, case_ids), "2147483647"], "job_id": [*job_ids, "nope"]}
    urls: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in EXEMPT:
            continue
        paths = [rule.rule]
        for argument in rule.arguments:
            paths = [p.replace(part, value) for p in paths for part in _placeholders(rule.rule, argument)
                     for value in values[argument]]
        urls[rule.endpoint] = [p + q for p in paths for q in ["", *QUERIES.get(rule.endpoint, [])]]
    return urls


def _placeholders(rule: str, argument: str) -> list[str]:
    start = rule.index("<")
    while argument not in rule[start:rule.index(">", start)]:
        start = rule.index("<", start + 1)
    return [rule[start:rule.index(">", start) + 1]]


def test_no_get_changes_the_database(web_app, county, login):
    active, waiting = submit(county, 1), submit(county, 2)
    walk(county, active)
    walk(county, waiting, until="assessed")
    zhou = login("zhou")
    job = zhou.post("/api/v1/budget/projections?wait=60", json={
        "first_year": 2024, "last_year": 2024, "caseload": "cases"}).get_json()
    assert job["status"] == "done", job
    clients = {name: login(name) for name in ("li", "zhao", "outsider", "admin")}
    clients.update(zhou=zhou, anonymous=login())
    before = database_state(county)
    urls = urls_of(web_app, [active, waiting], [job["id"]])
    assert {"cases.case_page", "cases.show_case", "budget.report", "auth.show_session"} <= set(urls)
    statuses = set()
    for endpoint, paths in urls.items():
        for path in paths:
            for name, client in clients.items():
                answer = client.get(path)
                statuses.add(answer.status_code)
                assert answer.status_code != 500, (endpoint, path, name)
        assert database_state(county) == before, endpoint  # per route: the digest of every row takes a while
    assert {200, 404} <= statuses  # the routes were really served, and refused where they should be
