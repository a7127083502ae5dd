"""Durable jobs (web/jobs.py): claimed once, held by a lease, queued again when their worker dies, expired when old.

Every test runs on SQLite and on PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select, update

from care_services.model import Job as JobRow
from web import jobs
from web.jobs import Busy, JobError, JobQueue, Worker


def echo(job, request, session):
    """A handler for the tests: reports progress, answers with the request, or fails as asked."""
    job.report("half way", 0.5)
    if request.get("fail"):
        raise JobError(ValueError("第3行缺少出生日期 / row 3 has no birth date"))
    if request.get("crash"):
        raise RuntimeError("unexpected")
    time.sleep(request.get("sleep", 0))
    return {"echo": request["value"], "when": dt.date(2025, 1, 31), "nan": float("nan")}, b"PK-workbook"


@pytest.fixture(autouse=True)
def echo_handler(monkeypatch):
    monkeypatch.setitem(jobs.HANDLERS, "echo", "tests.web.test_jobs:echo")


def test_a_worker_claims_only_the_kinds_it_knows(engine):
    queue = JobQueue(engine)
    job = queue.submit("echo", "user:1", {"value": 1})
    assert queue.claim("older-release", ("budget", "allocation")) is None
    assert queue.claim("this-release")[0] == job.id


def test_concurrent_workers_never_claim_the_same_job(engine):
    queue = JobQueue(engine, max_pending=100)
    submitted = {queue.submit("echo", "user:1", {"value": n}).id for n in range(30)}
    claimed, lock = [], threading.Lock()

    def claim_all(name: str) -> None:
        while (got := queue.claim(name, ("echo",))) is not None:
            with lock:
                claimed.append(got[0])

    threads = [threading.Thread(target=claim_all, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(submitted)  # every job once, none twice
    with engine.connect() as connection:
        assert set(connection.scalars(select(JobRow.status))) == {"running"}


def test_a_job_whose_worker_died_is_queued_again_then_failed_with_the_reason(engine):
    queue = JobQueue(engine, lease_seconds=0.2, max_attempts=2)
    job = queue.submit("echo", "user:1", {"value": 1})
    assert queue.claim("dead-1")[0] == job.id
    assert queue.recover() == (0, 0)  # the lease still runs
    time.sleep(0.3)
    again = queue.get(job.id, "user:1")  # a status poll notices the lost worker
    assert again.status == "queued" and "重新排队" in again.message and again.attempts == 1
    assert not queue.finish(job.id, "dead-1", {}, None)  # the lost worker's late result is refused
    assert queue.claim("dead-2")[0] == job.id
    time.sleep(0.3)
    assert queue.recover() == (0, 1)
    failed = queue.get(job.id, "user:1")
    assert failed.status == "failed" and failed.attempts == 2
    assert "中断" in failed.error["message_zh"] and "stopped 2 times" in failed.error["message_en"]
    with engine.connect() as connection:  # the request (an upload may be personal data) is not kept
        assert connection.scalar(select(JobRow.request).where(JobRow.id == job.id)) is None


def test_a_renewed_lease_keeps_the_job(engine):
    queue = JobQueue(engine, lease_seconds=0.3)
    job = queue.submit("echo", "user:1", {"value": 1})
    queue.claim("alive")
    for _ in range(4):
        time.sleep(0.15)
        assert queue.report(job.id, "alive", "working", 0.2)
    assert queue.recover() == (0, 0) and queue.get(job.id, "user:1").status == "running"
    assert not queue.renew(job.id, "someone-else")


def test_a_worker_runs_jobs_and_stores_results_progress_and_errors(engine):
    queue = JobQueue(engine, poll_seconds=0.05)
    good = queue.submit("echo", "user:1", {"value": "甲"})
    bad = queue.submit("echo", "user:1", {"value": 2, "fail": True})
    crash = queue.submit("echo", "user:1", {"value": 3, "crash": True})
    worker = Worker(queue, threads=2).start()
    try:
        done = queue.wait(good, 30)
        assert done.status == "done" and done.fraction == 1.0
        assert done.result == {"echo": "甲", "when": "2025-01-31", "nan": None}
        assert queue.result_file(good.id) == b"PK-workbook"
        failed = queue.wait(bad, 30)
        assert failed.status == "failed" and failed.error["message_zh"].startswith("第3行缺少出生日期")
        crashed = queue.wait(crash, 30)
        assert crashed.status == "failed" and "RuntimeError" in crashed.error["message_en"]
        assert queue.get(good.id, "user:2") is None  # someone else's job is not found
    finally:
        worker.stop(wait=5)


def test_progress_is_seen_while_the_job_runs(engine):
    queue = JobQueue(engine, poll_seconds=0.05)
    job = queue.submit("echo", "user:1", {"value": 1, "sleep": 1.5})
    worker = Worker(queue, threads=1).start()
    try:
        deadline = time.monotonic() + 20
        while (seen := queue.get(job.id, "user:1")).fraction != 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen.status == "running" and seen.message == "half way"
        assert queue.wait(seen, 30).status == "done"
    finally:
        worker.stop(wait=5)


def test_queued_jobs_survive_a_restart(engine):
    """Queued by a process that stopped before running it; a worker started later runs it."""
    first = JobQueue(engine)
    job = first.submit("echo", "user:1", {"value": "kept"})
    second = JobQueue(engine, poll_seconds=0.05)  # another process, after a restart
    worker = Worker(second, threads=1).start()
    try:
        assert second.wait(second.get(job.id, "user:1"), 30).result["echo"] == "kept"
    finally:
        worker.stop(wait=5)


def test_old_results_expire_and_the_queue_is_bounded(engine):
    queue = JobQueue(engine, max_pending=2, keep=dt.timedelta(days=7))
    old = queue.submit("echo", "user:1", {"value": 1})
    recent = queue.submit("echo", "user:1", {"value": 2})
    with pytest.raises(Busy):
        queue.submit("echo", "user:1", {"value": 3})
    for job in (old, recent):
        queue.claim("w")
        queue.finish(job.id, "w", {}, b"x")
    forgotten = queue.submit("echo", "user:1", {"value": 4})  # never taken by a worker
    eight_days_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=8)
    with engine.begin() as connection:
        connection.execute(update(JobRow).where(JobRow.id == old.id).values(finished_at=eight_days_ago))
        connection.execute(update(JobRow).where(JobRow.id == forgotten.id).values(created_at=eight_days_ago))
    assert queue.expire() == 2
    assert queue.get(old.id, "user:1") is None and queue.get(forgotten.id, "user:1") is None
    assert queue.get(recent.id, "user:1").status == "done"


def test_an_embedded_worker_stops_when_idle_and_starts_with_the_next_job(engine):
    queue = jobs.job_queue(engine, {"JOB_MAX_PENDING": 8, "JOB_MAX_WAIT": 60, "JOB_LEASE_SECONDS": 30,
                                    "JOB_KEEP_DAYS": 7, "JOB_WORKERS": 1})
    queue.poll_seconds = 0.05
    queue.embedded.idle_exit = 0.3
    try:
        first = queue.submit("echo", "user:1", {"value": 1})
        assert queue.wait(first, 30).status == "done"
        deadline = time.monotonic() + 10
        while any(t.is_alive() for t in queue.embedded.loops) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(t.is_alive() for t in queue.embedded.loops)  # no thread polls an idle database
        second = queue.submit("echo", "user:1", {"value": 2})
        assert queue.wait(second, 30).status == "done"
    finally:
        queue.shutdown()
