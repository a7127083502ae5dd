"""Browser tests: the real app served by waitress on loopback, driven by Playwright through Debian's chromium.

`make test` and .ci/run install chromium when it is missing (tests/browser/ensure-chromium). Without it the
browser tests are skipped on a developer's machine and fail in CI. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from tests.workflow.conftest import PASSWORD, prepared_database

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = os.environ.get("CARECALC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """carecalc on http://127.0.0.1:PORT with the sample data and one user per role."""
    from waitress import create_server

    from web import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.sqlite3'}"
    prepared_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-tests"})
    port = _free_port()
    waitress = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=waitress.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    waitress.close()
    app.extensions["carecalc_jobs"].shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium is missing at {CHROMIUM}; .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (make test installs it: tests/browser/ensure-chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#who")


def pick_hukou(page, county: str, township: str) -> None:
    """The place of hukou as a family picks it: 市, then 县（市、区）, then 乡镇（街道） (web/static/check.js)."""
    page.select_option("[id='fact.hukou_division_code.city']", county[:4] + "00")
    page.select_option("[id='fact.hukou_division_code.county']", county)
    page.select_option("[id='fact.hukou_division_code']", township)
