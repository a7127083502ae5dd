"""Schemathesis generates requests from /api/v1/openapi.json — valid and invalid, anonymous and logged in — and
no answer may be a 500."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.workflow.conftest import PASSWORD, STAFF, prepared_database

# Built when the module is collected (schemathesis reads the document to make one test per operation; its lazy
# from_fixture loader does not work with pytest 9), in a directory of its own removed after the tests.
WORKDIR = Path(tempfile.mkdtemp(prefix="carecalc-api-"))


def _app():
    from web import create_app

    url = f"sqlite:///{WORKDIR / 'api.sqlite3'}"
    prepared_database(url, {"admin": STAFF["admin"]})
    return create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "schemathesis", "JOB_MAX_WAIT": 1.0,
                       "JOB_MAX_PENDING": 2})


APP = _app()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    APP.extensions["carecalc_jobs"].shutdown()
    APP.extensions["carecalc_engine"].dispose()
    shutil.rmtree(WORKDIR, ignore_errors=True)


@pytest.fixture(scope="module")
def logged_in():
    """An administrator's session cookie and CSRF token, so the generated calls reach past the login."""
    from tests.web.conftest import api_login

    client = APP.test_client()
    token = api_login(client, "admin", PASSWORD).get_json()["csrf_token"]
    return {"cookies": {"session": client.get_cookie("session").value}, "headers": {"X-CSRF-Token": token}}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_a_server_error(case, logged_in):
    case.call_and_validate(checks=[not_a_server_error])
    if (case.method.upper(), case.path) in ENDS_THE_SESSION:
        return  # the generated calls after it would all be anonymous
    case.call_and_validate(checks=[not_a_server_error], headers=logged_in["headers"], cookies=logged_in["cookies"])


ENDS_THE_SESSION = {("DELETE", "/api/v1/session"), ("POST", "/api/v1/session/password"),
                    ("POST", "/api/v1/users/{username}/disable")}


def _json_operations() -> list[tuple[str, str]]:
    """Every operation of the document that takes a JSON body, its path parameters filled in."""
    document = APP.test_client().get("/api/v1/openapi.json").get_json()
    filled = {"{scheme}": "disability_care", "{case_id}": "1", "{month}": "2024-03", "{job_id}": "x",
              "{username}": "nobody"}
    operations = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                for placeholder, value in filled.items():
                    path = path.replace(placeholder, value)
                operations.append((method.upper(), path))
    return operations


SURROGATE_NAMES = '{"name": "\\ud800", "username": "\\udfff", "facts": {"name": "\\ud83d"}, "reason": "a\\ud800"}'
HOSTILE_BODIES = {"nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
                  "nested in an object": '{"facts": ' + "[" * 100_000 + "]" * 100_000 + "}",
                  "lone surrogates": SURROGATE_NAMES}


@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
def test_hostile_json_bodies_are_refused_by_every_operation(logged_in, body):
    """Issue 15: deeply nested JSON and lone surrogates in names are a 400/422 naming where, never a 500."""
    for method, path in _json_operations():
        for headers, cookies in (({}, {}), (logged_in["headers"], logged_in["cookies"])):
            client = APP.test_client()
            for name, value in cookies.items():
                client.set_cookie(name, value)
            answer = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
            assert answer.status_code in (400, 401, 403, 404, 422, 429), (method, path, answer.status_code)
            error = answer.get_json()["error"]
            if answer.status_code in (400, 422) and error.get("code") != "csrf":  # a login without its token
                assert error["fields"], (method, path, error)
