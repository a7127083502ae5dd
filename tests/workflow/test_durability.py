"""Concurrency and durability: two reviewers racing on one case, a transition failing half-way, and a process killed
in the middle of a bulk import. Nothing is overwritten, nothing is half-written."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from care_services import audit
from care_services.casework import history
from care_services.db import make_engine, session_scope
from care_services.model import CareCase, Person
from subsidy_rules.workflow import WorkflowError
from tests.conftest import REPO
from tests.workflow.conftest import SUBMITTED, act_on, staff, submit

ON = SUBMITTED + dt.timedelta(days=1)


def test_two_sessions_racing_cannot_overwrite_each_other(county):
    case_id = submit(county)
    with Session(county, expire_on_commit=False) as first, Session(county, expire_on_commit=False) as second:
        # both reviewers open the case (version 1) and keep it open ...
        opened = first.get(CareCase, case_id), second.get(CareCase, case_id)
        assert [case.version for case in opened] == [1, 1]
        li, ma = staff(first, "li"), staff(second, "ma")
        # ... li rejects it and commits first
        act_on(ON, first, li, case_id, "reject", reason="材料不全 / papers missing")
        first.commit()
        # ma's session still shows version 1 and state submitted; its write must not land
        with pytest.raises(WorkflowError) as refused:
            act_on(ON, second, ma, case_id, "township_review")
            second.commit()
        assert refused.value.code == "stale"
        second.rollback()
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert (case.state, case.version) == ("rejected", 2)
        assert [e.action for e in history(session, case_id)] == ["submit", "reject"]
        # a form that shows version 1 is refused too, before anything is tried
        with pytest.raises(WorkflowError) as refused:
            act_on(ON, session, staff(session, "li"), case_id, "reject", reason="x", expected_version=1)
        assert refused.value.code == "stale"


def test_two_threads_acting_at_once_exactly_one_wins(county):
    case_id = submit(county)
    loaded = threading.Barrier(2)
    outcomes = {}

    def review(username: str) -> None:
        try:
            with session_scope(county) as session:
                case = session.get(CareCase, case_id)
                user = staff(session, username)
                loaded.wait(timeout=10)  # both have read version 1 before either writes
                act_on(ON, session, user, case.id, "township_review")
            outcomes[username] = "done"
        except WorkflowError as error:
            outcomes[username] = error.code

    threads = [threading.Thread(target=review, args=(name,)) for name in ("li", "ma")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["done", "stale"], outcomes
    with session_scope(county) as session:
        assert session.get(CareCase, case_id).version == 2
        assert [e.action for e in history(session, case_id)] == ["submit", "township_review"]


def test_a_transition_failing_half_way_leaves_the_case_as_it_was(county):
    case_id = submit(county)

    class PowerCut(Exception):
        pass

    def crash(*_):  # the case's UPDATE has reached the database; the request dies before the transaction ends
        raise PowerCut

    event.listen(CareCase, "after_update", crash)
    try:
        with pytest.raises(PowerCut):
            with session_scope(county) as session:
                act_on(ON, session, staff(session, "li"), case_id, "township_review")
    finally:
        event.remove(CareCase, "after_update", crash)
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert (case.state, case.version) == ("submitted", 1) and len(history(session, case_id)) == 1
        act_on(ON, session, staff(session, "li"), case_id, "township_review")  # and it works once fixed


def test_a_process_killed_during_a_bulk_import_leaves_no_half_import(tmp_path):
    """`carecalc import` writes a workbook in one transaction; kill -9 in the middle of it and the database has
    none of its rows, passes SQLite's integrity check, and takes the same import afterwards."""
    from care_services.db import init_db
    from care_services.spreadsheet import entity_spec, frame_records, parse_rows, records_as_rows, write_workbook
    from care_services.store import load_sample
    from care_services.synthetic import generate_people

    database = tmp_path / "crash.sqlite3"
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    init_db(engine)
    load_sample(engine)
    spec = entity_spec("people")
    people = parse_rows(spec, records_as_rows(spec, frame_records(generate_people(6000, 7, city_prefixes=("3609",)))), "x")
    workbook = tmp_path / "people.xlsx"
    write_workbook(workbook, "people", people.records)
    engine.dispose()

    command = [sys.executable, "-m", "care_services.cli", "--database", url, "import", "people", str(workbook)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    journal = tmp_path / "crash.sqlite3-journal"
    deadline = time.monotonic() + 120
    while not journal.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the write: thousands of rows already sent to the database
    assert process.poll() is None, "the import finished before it could be killed; make the workbook larger"
    assert journal.exists()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    engine = make_engine(url)
    with engine.connect() as connection:  # the next connection rolls the hot journal back
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert connection.execute(select(func.count()).select_from(Person)).scalar() == 0
    engine.dispose()
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Person)).scalar() == 6000
    engine.dispose()


# A worker that takes cases through their steps from several threads at once, forever: each thread picks a case,
# takes its next step as a user of the right role (racing the other threads for it), and starts over. The server's
# clock runs one hour per reading so that notice periods pass. It is killed with SIGKILL at some moment.
TRANSITION_WORKER = r'''
import datetime as dt, random, sys, threading
from care_services import clock
from care_services.casework import act
from care_services.db import make_engine, session_scope
from care_services.model import CareCase, User
from sqlalchemy import select
from subsidy_rules import workflow as wf

moments, lock = [dt.datetime(2024, 3, 1, 2)], threading.Lock()
def now():
    with lock:
        moments[0] += dt.timedelta(hours=1)
        return moments[0]
clock.now = now

engine = make_engine(sys.argv[1])
with session_scope(engine) as session:
    users = {u.username: u.role for u in session.scalars(select(User))}
    case_ids = list(session.scalars(select(CareCase.id)))
FOUR = ["adl_eating", "adl_dressing", "adl_transfer", "adl_toileting"]

def details(action):
    return {"assess": {"doctor": "王医生", "failed_activities": FOUR, "assessed_on": clock.today()},
            "sector_review": {"two_subsidies_month": 200}, "identity_check": {"at_risk_of_poverty": False},
            "exit": {"exit_reason": "death", "exit_date": clock.today()}}.get(action, {})

def work(seed):
    rng = random.Random(seed)
    while True:
        case_id = rng.choice(case_ids)
        try:
            with session_scope(engine) as session:
                case = session.get(CareCase, case_id)
                action = {**wf.PROCEDURES["disability_care"].awaited, "active": "exit"}.get(case.state)
                if action is None:
                    continue
                flow = wf.Case(case.division_code, case.requested_service, case.institution_type, case.state)
                role = wf.role_for(flow, action)
                name = rng.choice([n for n, r in users.items() if r == role])
                user = session.scalar(select(User).where(User.username == name))
                act(session, user, case_id, action, expected_version=case.version, **details(action))
            print("step", case_id, action, flush=True)
        except wf.WorkflowError:
            pass  # stale (another thread won), segregation, the notice not yet over: try again

threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(4)]
for thread in threads:
    thread.start()
print("started", flush=True)
for thread in threads:
    thread.join()
'''


def test_a_process_killed_during_concurrent_transitions_leaves_each_case_at_its_last_audit_entry(county, tmp_path):
    """kill -9 while four threads take cases through their steps: every case's state is its last audit entry's
    ``to_state``, its version counts its audit entries (one per committed change), nothing is half-written."""
    from care_services.model import AuditEntry

    cases = [submit(county, sequence) for sequence in range(1, 25)]
    url = county.url.render_as_string(hide_password=False)
    script = tmp_path / "worker.py"
    script.write_text(TRANSITION_WORKER, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(tmp_path / "worker.log", "w+") as log:
        process = subprocess.Popen([sys.executable, str(script), url], cwd=tmp_path, env=environment, stdout=log,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        steps = 0
        while process.poll() is None and time.monotonic() < deadline and steps < 60:
            time.sleep(0.2)
            log.seek(0)
            steps = log.read().count("step ")
        assert process.poll() is None, "the worker stopped by itself"
        assert steps >= 60, "the worker took too few steps before the deadline"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        log.seek(0)
        assert "Traceback" not in log.read()

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":  # the next connection rolls the hot journal back
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        with session_scope(engine) as session:
            moved = 0
            for case_id in cases:
                case = session.get(CareCase, case_id)
                entries = history(session, case_id)
                assert entries and entries[-1].to_state == case.state, (case_id, case.state, entries[-1].to_state)
                assert case.version == len(entries), (case_id, case.version, len(entries))
                assert all(e.entity_key == str(case_id) for e in entries)
                moved += case.state != "submitted"
            assert moved > 0
            assert session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.entity == "case")) == sum(len(history(session, c)) for c in cases)
        with engine.connect() as connection:  # and the chain of every entry written before the kill verifies
            assert audit.verify(connection).intact
    finally:
        engine.dispose()
