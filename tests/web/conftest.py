"""The web app over a county with staff (tests/workflow/conftest.py), and clients logged in as them."""

from __future__ import annotations

import pytest

from tests.workflow.conftest import PASSWORD, county  # noqa: F401  (the fixture)


@pytest.fixture
def web_app(county):  # noqa: F811
    from web import create_app

    app = create_app({"DATABASE_URL": county.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test"})
    yield app
    app.extensions["carecalc_jobs"].shutdown()  # its job threads stop with the test


class Client:
    """A test client logged in through the API, sending its CSRF token with every change."""

    def __init__(self, app, username: str | None = None):
        self.http = app.test_client()
        self.token = None
        if username:
            answer = self.http.post("/api/v1/session", json={"username": username, "password": PASSWORD})
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
