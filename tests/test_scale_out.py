"""Several server processes on one PostgreSQL: a job started through one web server is run by a `carecalc worker`
process, survives that worker being killed, and is finished and downloaded through another web server (granian,
two processes), and county values recorded through one server are used by the evaluations of every process. Needs $CARECALC_TEST_POSTGRES_URL; skipped without it."""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import POSTGRES_URL_VARIABLE
from tests.test_serve import free_port
from tests.workflow.conftest import FOUR_FAILED, PASSWORD, STAFF, prepared_database

URL = os.environ.get(POSTGRES_URL_VARIABLE)
pytestmark = pytest.mark.skipif(not URL, reason=f"set {POSTGRES_URL_VARIABLE} to run several servers on PostgreSQL")


def _empty_database(url: str) -> None:
    from care_services.db import make_engine
    from care_services.model import Base

    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()


class Process:
    def __init__(self, *args: str, log, url: str | None = None):
        env = {**os.environ, "CARECALC_SECRET_KEY": "scale-out-test", "CARECALC_DATABASE_URL": url or URL}
        self.popen = subprocess.Popen([sys.executable, "-m", "care_services.cli", *args], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)  # granian's main process and its workers
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def _serve(port: int, *extra: str, log, url: str | None = None) -> Process:
    """`carecalc serve` on ``port`` (on ``url``, else $CARECALC_TEST_POSTGRES_URL), once it answers /healthz."""
    server = Process("serve", "--port", str(port), "--job-workers", "0", *extra, log=log, url=url)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            if time.monotonic() > deadline or server.popen.poll() is not None:
                server.stop()
                raise AssertionError(f"the server on port {port} did not start")
            time.sleep(0.3)


def _job_row(job_id: str):
    from sqlalchemy import select

    from care_services.db import make_engine
    from care_services.model import Job

    engine = make_engine(URL)
    with engine.connect() as connection:
        row = connection.execute(select(Job.status, Job.worker, Job.attempts).where(Job.id == job_id)).one()
    engine.dispose()
    return row


def test_a_job_started_on_one_server_is_downloaded_through_another(tmp_path):
    from openpyxl import load_workbook

    _empty_database(URL)
    prepared_database(URL, {"zhou": STAFF["zhou"], "admin": STAFF["admin"]})
    log = open(tmp_path / "servers.log", "wb")
    port_a, port_b = free_port(), free_port()
    processes = []
    try:
        processes.append(_serve(port_a, log=log))  # waitress, one process
        processes.append(_serve(port_b, "--workers", "2", log=log))  # granian, two processes
        jar = http.cookiejar.CookieJar()  # one browser: the signed session cookie goes to both servers
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def call(port: int, path: str, body: dict | None = None, token: str | None = None, opener=opener):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST" if body else "GET",
                                             data=json.dumps(body).encode() if body else None,
                                             headers={"Content-Type": "application/json",
                                                      **({"X-CSRF-Token": token} if token else {})})
            with opener.open(request, timeout=60) as response:
                return response.status, response.read()

        def login(port: int, username: str, opener=opener) -> str:
            """A login needs the CSRF token GET /api/v1/session hands out first; answers the session's token."""
            try:
                call(port, "/api/v1/session", opener=opener)
            except urllib.error.HTTPError as answer:  # 401, not logged in: with the token a login must send
                first = json.loads(answer.read())["csrf_token"]
            _, body = call(port, "/api/v1/session", {"username": username, "password": PASSWORD}, first, opener=opener)
            return json.loads(body)["csrf_token"]

        token = login(port_a, "zhou")
        status, body = call(port_a, "/api/v1/budget/projections", {
            "caseload": "synthetic", "synthetic": 20_000, "projects": "sample", "first_year": 2024, "last_year": 2026,
            "scenarios": [{"name": "提标", "parameters": {"disability_care.home_care_month": 900}}]}, token)
        assert status == 202, body
        job = json.loads(body)
        assert job["status"] == "queued"  # no web process runs jobs here: they wait for a worker

        # a worker takes it, and is killed while it runs
        first = Process("worker", "--threads", "1", "--lease", "2", log=log)
        processes.append(first)
        deadline = time.monotonic() + 120
        while _job_row(job["id"]).status != "running":
            assert time.monotonic() < deadline and first.popen.poll() is None, "the worker did not claim the job"
            time.sleep(0.1)
        first.stop(signal.SIGKILL)
        assert _job_row(job["id"]).status == "running"  # as far as the database knows, until the lease runs out

        second = Process("worker", "--threads", "1", "--lease", "2", log=log)
        processes.append(second)
        deadline = time.monotonic() + 300
        while True:  # polled through the other server
            status, body = call(port_b, f"/api/v1/budget/projections/{job['id']}?wait=5")
            answer = json.loads(body)
            if answer["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
        assert answer["status"] == "done", answer
        row = _job_row(job["id"])
        assert row.attempts == 2 and row.worker.split(":")[1] == str(second.popen.pid)
        assert [s["name"] for s in answer["result"]["scenarios"]] == ["baseline", "提标"]
        assert answer["result"]["scenarios"][1]["total"] > answer["result"]["scenarios"][0]["total"] > 0

        status, content = call(port_b, answer["report_url"])
        assert status == 200 and content[:2] == b"PK"
        assert load_workbook(io.BytesIO(content), read_only=True).sheetnames
        status, page = call(port_a, f"/budget/jobs/{job['id']}")  # and its page back on the first server
        assert status == 200 and "提标" in page.decode("utf-8")

        # a county value recorded through one server is what every process's evaluation batcher computes with
        facts = {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
                 "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
                 "disability_grade": 1, "tekun_supported": False, "requested_service": "home_care",
                 **{a: a in FOUR_FAILED for a in ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting",
                                                  "adl_walking_indoors", "adl_bathing")}}
        anonymous = urllib.request.build_opener()
        evaluate = {"facts": facts, "jurisdiction": "360902", "date": "2024-06-01"}
        assert json.loads(call(port_a, "/api/v1/schemes/disability_care/evaluate", evaluate,
                               opener=anonymous)[1])["amount"] < 700  # the city's value, before the county's
        admin = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        admin_token = login(port_b, "admin", opener=admin)
        status, _ = call(port_b, "/api/v1/parameters/overrides", {
            "name": "disability_care.home_care_month", "jurisdiction": "360902", "start": "2024-01-01", "value": 700,
            "reason": "袁府办发〔2024〕1号（测试）"}, admin_token, opener=admin)
        assert status == 201
        with ThreadPoolExecutor(8) as pool:  # concurrent requests: batched within each process
            answers = list(pool.map(lambda port: call(port, "/api/v1/schemes/disability_care/evaluate", evaluate,
                                                      opener=anonymous), [port_a, port_b] * 8))
        assert {(status, json.loads(body)["amount"]) for status, body in answers} == {(200, 700)}
    finally:
        for process in reversed(processes):
            process.stop()
        log.close()
