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
    case.call_and_validate(checks=[not_a_server_error], headers=logged_in["headers"], cookies=logged_in["cookies"])
