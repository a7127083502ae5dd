"""The web app over a county with staff (tests/workflow/conftest.py), and clients logged in as them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.workflow.conftest import PASSWORD, county  # noqa: F401  (the fixture)


@pytest.fixture
def web_app(county):  # noqa: F811
    from web import create_app

    # These tests move the server's clock over days between steps; their logins outlast that. Session expiry is
    # tested with an app of its own (tests/web/test_security.py).
    app = create_app({"DATABASE_URL": county.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test", "SESSION_IDLE_TIMEOUT": dt.timedelta(days=3650),
                      "PERMANENT_SESSION_LIFETIME": dt.timedelta(days=3650)})
    yield app
    app.extensions["carecalc_jobs"].shutdown()  # its job threads stop with the test


def api_login(http, username: str, password: str = PASSWORD):
    """Log in as an API client does: the CSRF token first (GET /api/v1/session answers it before any login)."""
    token = http.get("/api/v1/session").get_json()["csrf_token"]
    return http.post("/api/v1/session", json={"username": username, "password": password},
                     headers={"X-CSRF-Token": token})


class Client:
    """A test client logged in through the API, sending its CSRF token with every change."""

    def __init__(self, app, username: str | None = None):
        self.http = app.test_client()
        self.token = None
        if username:
            answer = api_login(self.http, username)
            assert answer.status_code == 200, answer.get_json()
            self.token = answer.get_json()["csrf_token"]

    def get(self, url, **kwargs):
        return self.http.get(url, **kwargs)

    def post(self, url, **kwargs):
        headers = {**kwargs.pop("headers", {}), **({"X-CSRF-Token": self.token} if self.token else {})}
        return self.http.post(url, headers=headers, **kwargs)


@pytest.fixture
def login(web_app):
    return lambda username=None: Client(web_app, username)
