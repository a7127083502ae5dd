"""Long runs (budget projections, allocations) as durable jobs: queued in the database, run by any worker process.

A web process checks the request (bad input is a 422 at once, never a failed job later) and stores it as a row of
``jobs`` (care_services.model.Job). A worker — threads inside the web process by default, so ``make run`` needs no
other service, or ``carecalc worker`` processes beside several web processes — claims the oldest queued row in one
UPDATE, holds it with a lease it renews every few seconds, writes its progress there, and stores the result (the
figures as JSON and the workbook as bytes) in the same row. So a job survives a restart, is seen and downloaded
through any web process, and the uploaded caseload it carried is cleared as soon as it ends.

- Claiming: ``UPDATE jobs … WHERE id = (SELECT id … WHERE status = 'queued' ORDER BY created_at LIMIT 1
  FOR UPDATE SKIP LOCKED) AND status = 'queued'``. On PostgreSQL concurrent workers skip each other's rows; SQLite
  has no row locks (FOR UPDATE is not rendered) but runs one writing statement at a time, and the
  ``status = 'queued'`` guard makes the claim atomic there too.
- A worker that dies (killed, machine lost) stops renewing: once its lease has run out the job is queued again
  (``MAX_ATTEMPTS`` runs in all), then failed with the reason. Any worker, and any status poll, does this.
- Finished jobs are deleted ``KEEP`` after they end; a job belongs to whoever started it (the same login).

Why a table of our own and not a queue library: the maintained ones fit one side only. procrastinate and pgqueuer
are PostgreSQL-only (the embedded default is SQLite); huey's SQL storage (peewee) claims with plain FOR UPDATE and
deletes a task when it is dequeued, so a job whose worker dies is lost, and it keeps neither progress nor files;
RQ, Celery, dramatiq and saq want Redis or RabbitMQ — one more service for every county install. The queue here is
a few statements on one table, managed by the same Alembic migrations as the rest.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine

from care_services.model import Job as JobRow
from care_services.model import utc_now
from web.i18n import halves

log = logging.getLogger(__name__)

KEEP = dt.timedelta(days=7)  # how long a finished job's result stays downloadable
LEASE_SECONDS = 30.0  # a running job whose worker has not renewed it for this long is taken as lost
MAX_ATTEMPTS = 2  # runs of one job (the first and one retry after a lost worker)
ACTIVE = ("queued", "running")

# kind → "module:function(job, request, session) -> (result JSON, workbook bytes)"
HANDLERS = {"budget": "web.budget:run_job", "allocation": "web.planning:run_job"}

_SUMMARY = (JobRow.id, JobRow.kind, JobRow.owner, JobRow.status, JobRow.message, JobRow.fraction, JobRow.error,
            JobRow.attempts, JobRow.created_at, JobRow.finished_at, JobRow.lease_until)


def said_both(message: str | None) -> tuple[str, str]:
    """A progress line stored as "中文 / English" as its (Chinese, English) halves (one text serves as both)."""
    zh, en = halves(message)
    return zh, en or zh


@dataclass
class Job:
    """What a page or the API shows of a job (a snapshot of its row; the workbook is read only to download it)."""

    id: str
    kind: str
    owner: str
    status: str
    message: str
    fraction: float | None
    error: dict | None
    attempts: int
    created: dt.datetime
    finished: dt.datetime | None
    lease_until: dt.datetime | None = None
    result: Any = None

    def as_dict(self) -> dict:
        end = self.finished or utc_now()
        message_zh, message_en = said_both(self.message)
        return {"id": self.id, "kind": self.kind, "status": self.status, "message": self.message,
                "message_zh": message_zh, "message_en": message_en,  # the waiting page shows its language's one
                "fraction": self.fraction, "error": self.error,
                "created": self.created.replace(tzinfo=dt.timezone.utc).isoformat(timespec="seconds"),
                "seconds": round((end - self.created).total_seconds(), 1)}


class Busy(Exception):
    """Too many runs waiting: the client is told to come back (429) instead of queueing without end."""

    zh, en = "当前运行的测算过多，请稍后再试", "too many runs in progress; try again shortly"


class JobError(Exception):
    """An expected failure of a run (bad rows in an upload, no solution): shown as the job's bilingual error."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.details = _error_of(error)


class JobQueue:
    """The ``jobs`` table as a queue: what web processes and workers do with it."""

    def __init__(self, engine: Engine, max_pending: int = 8, max_wait: float = 300.0, *,
                 lease_seconds: float = LEASE_SECONDS, keep: dt.timedelta = KEEP, max_attempts: int = MAX_ATTEMPTS,
                 poll_seconds: float = 0.2):
        self.engine, self.max_pending, self.max_wait = engine, max_pending, max_wait
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.keep, self.max_attempts, self.poll_seconds = keep, max_attempts, poll_seconds
        self.listeners: list[Callable[[], None]] = []  # told of every job submitted here (the embedded worker)
        self.embedded: Worker | None = None

    def shutdown(self) -> None:
        """Stop the embedded worker (when the app stops); a job it was running is queued again once its lease ends."""
        if self.embedded is not None:
            self.embedded.stop()

    # ----------------------------------------------------------------------------------------- web side

    def submit(self, kind: str, owner: str, request: dict) -> Job:
        """Queue a run of ``HANDLERS[kind]`` on ``request`` (JSON: the checked body and any uploads)."""
        if kind not in HANDLERS:
            raise ValueError(f"unknown job kind {kind!r}")
        with self.engine.begin() as connection:
            pending = connection.scalar(select(func.count()).select_from(JobRow).where(JobRow.status.in_(ACTIVE)))
            if pending >= self.max_pending:
                raise Busy()
            job_id = secrets.token_urlsafe(12)
            connection.execute(JobRow.__table__.insert().values(
                id=job_id, kind=kind, owner=owner, status="queued", request=request, message="", attempts=0,
                created_at=utc_now()))
        for listener in self.listeners:
            listener()
        return self._read(job_id)

    def get(self, job_id: str, owner: str) -> Job | None:
        """The owner's job (None for anyone else's, or once it has expired)."""
        job = self._read(job_id)
        if job is not None and job.status == "running" and job.lease_until is not None and job.lease_until < utc_now():
            self.recover()  # its worker is gone: say so now rather than when a worker next looks
            job = self._read(job_id)
        return job if job is not None and job.owner == owner else None

    def wait(self, job: Job, seconds: float) -> Job:
        """The job once it has ended, or as it is after ``seconds`` (at most ``max_wait``)."""
        deadline = time.monotonic() + max(0.0, min(seconds, self.max_wait))
        while job.status in ACTIVE and time.monotonic() < deadline:
            time.sleep(self.poll_seconds)
            job = self.get(job.id, job.owner) or job
        return job

    def result_file(self, job_id: str) -> bytes | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(JobRow.result_file).where(JobRow.id == job_id))

    def _read(self, job_id: str) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(*_SUMMARY, JobRow.result).where(JobRow.id == job_id)).one_or_none()
        if row is None:
            return None
        return Job(row.id, row.kind, row.owner, row.status, row.message or "", row.fraction, row.error, row.attempts,
                   row.created_at, row.finished_at, row.lease_until, row.result)

    # ----------------------------------------------------------------------------------------- worker side

    def claim(self, worker: str, kinds: tuple[str, ...] | None = None) -> tuple[str, str, dict] | None:
        """Take the oldest queued job of ``kinds`` (default: every kind in HANDLERS) for ``worker``: (id, kind,
        request), or None when nothing waits. A worker of an older release leaves kinds it does not know."""
        now = utc_now()
        kinds = tuple(HANDLERS) if kinds is None else kinds
        oldest = (select(JobRow.id).where(JobRow.status == "queued", JobRow.kind.in_(kinds))
                  .order_by(JobRow.created_at, JobRow.id).limit(1).with_for_update(skip_locked=True).scalar_subquery())
        with self.engine.begin() as connection:
            claimed = connection.execute(
                update(JobRow).where(JobRow.id == oldest, JobRow.status == "queued")
                .values(status="running", worker=worker, lease_until=now + self.lease, started_at=now,
                        attempts=JobRow.attempts + 1)
                .returning(JobRow.id, JobRow.kind, JobRow.request)).one_or_none()
        return None if claimed is None else (claimed.id, claimed.kind, claimed.request or {})

    def report(self, job_id: str, worker: str, message: str, fraction: float | None) -> bool:
        """Progress, which also renews the lease; False if the job is no longer this worker's."""
        values = {"message": message, "lease_until": utc_now() + self.lease}
        if fraction is not None:
            values["fraction"] = float(fraction)
        return self._update_own(job_id, worker, **values)

    def renew(self, job_id: str, worker: str) -> bool:
        return self._update_own(job_id, worker, lease_until=utc_now() + self.lease)

    def finish(self, job_id: str, worker: str, result: Any, file: bytes | None) -> bool:
        return self._update_own(job_id, worker, status="done", result=plain(result), result_file=file, request=None,
                                message="完成 / done", fraction=1.0, finished_at=utc_now(), lease_until=None)

    def fail(self, job_id: str, worker: str, error: dict) -> bool:
        return self._update_own(job_id, worker, status="failed", error=error, request=None, finished_at=utc_now(),
                                lease_until=None)

    def _update_own(self, job_id: str, worker: str, **values) -> bool:
        with self.engine.begin() as connection:
            changed = connection.execute(update(JobRow).where(
                JobRow.id == job_id, JobRow.worker == worker, JobRow.status == "running").values(**values)).rowcount
        return changed == 1

    def recover(self) -> tuple[int, int]:
        """Jobs whose worker stopped renewing their lease: queued again, or failed after ``max_attempts`` runs.
        Returns (queued again, failed)."""
        now = utc_now()
        lost = (JobRow.status == "running") & (JobRow.lease_until < now)
        with self.engine.begin() as connection:
            failed = connection.execute(update(JobRow).where(lost, JobRow.attempts >= self.max_attempts).values(
                status="failed", request=None, finished_at=now, lease_until=None,
                message="工作进程中断 / the worker stopped",
                error={"message_zh": f"运行该测算的工作进程{self.max_attempts}次中断（进程退出或服务器重启），已停止重试；请重新提交",
                       "message_en": f"the worker running it stopped {self.max_attempts} times (process exited or "
                                     "server restarted); not retried again — please submit it again"})).rowcount
            queued = connection.execute(update(JobRow).where(lost, JobRow.attempts < self.max_attempts).values(
                status="queued", worker=None, lease_until=None,
                message="工作进程中断，已重新排队 / the worker stopped; queued again")).rowcount
        if queued or failed:
            log.warning("jobs whose worker stopped: %d queued again, %d failed", queued, failed)
        return queued, failed

    def expire(self) -> int:
        """Delete jobs that ended more than ``keep`` ago (their results and workbooks with them), and jobs no worker
        took in that time (with the uploads they carry)."""
        cutoff = utc_now() - self.keep
        ended = JobRow.status.in_(("done", "failed")) & (JobRow.finished_at < cutoff)
        never_run = (JobRow.status == "queued") & (JobRow.created_at < cutoff)
        with self.engine.begin() as connection:
            return connection.execute(delete(JobRow).where(ended | never_run)).rowcount

    def waiting(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(JobRow).where(JobRow.status.in_(ACTIVE)))


def job_queue(engine: Engine, config: dict) -> JobQueue:
    """The app's queue, with a worker of ``JOB_WORKERS`` threads in this process unless that is 0. The embedded
    worker starts with the first job submitted here, or at once if jobs are waiting (left by a restart)."""
    queue = JobQueue(engine, config["JOB_MAX_PENDING"], config["JOB_MAX_WAIT"],
                     lease_seconds=config["JOB_LEASE_SECONDS"], keep=dt.timedelta(days=config["JOB_KEEP_DAYS"]))
    if config["JOB_WORKERS"]:
        queue.embedded = Worker(queue, config["JOB_WORKERS"], idle_exit=60.0)
        queue.listeners.append(queue.embedded.start)
        if queue.waiting():
            queue.embedded.start()
    return queue


class Progress:
    """What a handler reports to (``job.report(message, fraction)``); written at most twice a second."""

    def __init__(self, queue: JobQueue, job_id: str, worker: str, every: float = 0.5):
        self.queue, self.id, self.worker, self.every = queue, job_id, worker, every
        self.last = 0.0

    def report(self, message: str, fraction: float | None = None) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or fraction in (0.0, 1.0):
            self.last = now
            self.queue.report(self.id, self.worker, message, fraction)


class Worker:
    """Threads that claim and run jobs, and one that renews the leases of the jobs they run.

    ``idle_exit``: the threads stop after that many seconds without work (the embedded worker of a web process
    starts again with the next job submitted there); None runs until ``stop()`` (``carecalc worker``)."""

    def __init__(self, queue: JobQueue, threads: int = 2, idle_exit: float | None = None):
        self.queue, self.threads, self.idle_exit = queue, max(1, threads), idle_exit
        self.kinds = tuple(HANDLERS)  # the kinds this worker runs (known when it was made)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stopping = threading.Event()
        self.wakeup = threading.Event()
        self.running: dict[str, str] = {}  # job id → the worker id (one per thread) that holds it
        self.lock = threading.Lock()
        self.loops: list[threading.Thread] = []
        self.beat: threading.Thread | None = None
        self.housekept = 0.0

    def start(self) -> Worker:
        """Start the threads (again, if they stopped when idle); wakes them to look for work."""
        with self.lock:
            self.stopping.clear()
            self.loops = [t for t in self.loops if t.is_alive()]
            for number in range(len(self.loops), self.threads):
                self.loops.append(self._thread(self._loop, f"carecalc-job-{number}"))
            if self.beat is None or not self.beat.is_alive():
                self.beat = self._thread(self._heartbeat, "carecalc-job-heartbeat")
            self.wakeup.set()  # under the lock: a thread about to stop for idleness sees it and stays
        return self

    @staticmethod
    def _thread(target, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def stop(self, wait: float = 0.0) -> None:
        """Stop claiming; jobs running now finish (or, if the process exits first, are queued again later)."""
        self.stopping.set()
        self.wakeup.set()
        deadline = time.monotonic() + wait
        for thread in [*self.loops, self.beat]:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))

    def join(self) -> None:
        for thread in [*self.loops, self.beat]:
            while thread is not None and thread.is_alive():
                thread.join(0.5)

    def _loop(self) -> None:
        idle_since = time.monotonic()
        me = f"{self.name}:{threading.current_thread().name}"
        while not self.stopping.is_set():
            try:
                self._housekeeping()
                claimed = self.queue.claim(me, self.kinds)
            except Exception:  # the database is away for a moment: try again, never die silently
                log.exception("job worker could not reach the database")
                claimed = None
                self.stopping.wait(2.0)
            if claimed is None:
                if self.idle_exit is not None and time.monotonic() - idle_since > self.idle_exit:
                    with self.lock:
                        if not self.wakeup.is_set():
                            self.loops.remove(threading.current_thread())
                            return
                self.wakeup.wait(1.0)  # woken by a submit in this process; else look again (other processes)
                self.wakeup.clear()
                continue
            self._run(me, *claimed)
            idle_since = time.monotonic()

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self.housekept >= self.queue.lease.total_seconds() / 2:
            self.housekept = now
            self.queue.recover()
            self.queue.expire()

    def _run(self, me: str, job_id: str, kind: str, request: dict) -> None:
        from sqlalchemy.orm import Session

        progress = Progress(self.queue, job_id, me)
        with self.lock:
            self.running[job_id] = me
        try:
            handler = _handler(kind)
            with Session(self.queue.engine) as session:
                result, file = handler(progress, request, session)
            if not self.queue.finish(job_id, me, result, file):
                log.warning("job %s finished after its lease was lost; the result is dropped", job_id)
        except JobError as error:
            self.queue.fail(job_id, me, error.details)
        except Exception as error:  # reported on the job, never lost in the thread
            log.exception("job %s (%s) failed", job_id, kind)
            self.queue.fail(job_id, me, {"message_zh": "运行出错",
                                         "message_en": f"the run failed: {type(error).__name__}: {error}"})
        finally:
            with self.lock:
                self.running.pop(job_id, None)

    def _heartbeat(self) -> None:
        every, renewed = self.queue.lease.total_seconds() / 3, 0.0
        while True:
            with self.lock:
                held = list(self.running.items())
                working = any(t.is_alive() for t in self.loops)
            if not held and (self.stopping.is_set() or not working):
                return
            if time.monotonic() - renewed >= every:
                renewed = time.monotonic()
                for job_id, me in held:
                    try:
                        self.queue.renew(job_id, me)
                    except Exception:
                        log.exception("could not renew the lease of job %s", job_id)
            time.sleep(min(every, 0.5))


def _handler(kind: str):
    module, _, function = HANDLERS[kind].partition(":")
    return getattr(importlib.import_module(module), function)


def plain(value: Any) -> Any:
    """A result as JSON the database keeps: dates as ISO text, numpy numbers as numbers, NaN as null."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return None if pd.isna(value) else value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    try:
        return float(value)  # Decimal, Fraction
    except (TypeError, ValueError):
        return str(value)


def _error_of(error: BaseException) -> dict:
    zh = getattr(error, "zh", None) or str(error)
    en = getattr(error, "en", None) or str(error)
    out = {"message_zh": zh, "message_en": en}
    problems = getattr(error, "problems", None)
    if problems:
        out["fields"] = {f"row {getattr(p, 'row', '')} {getattr(p, 'column', '')}".strip(): [str(p)] for p in problems[:200]}
    return out


# ------------------------------------------------------------------------------------------------ views of jobs
# What the budget and planning areas share: the waiting page, the result file, the owner check, the request body.


def runner() -> JobQueue:
    from flask import current_app

    return current_app.extensions["carecalc_jobs"]


def owner() -> str:
    from web.security import current_user

    return f"user:{current_user().id}"


def job_or_404(job_id: str, kind: str) -> Job:
    from flask import abort

    job = runner().get(job_id, owner())
    if job is None or job.kind != kind:
        abort(404)
    return job


def waiting_page(job: Job, area: str):
    """The page that polls the job's status and moves on to its result."""
    from flask import render_template, url_for

    return render_template("job.html", job=job.as_dict(), status_url=url_for(f"{area}.job_api", job_id=job.id),
                           result_url=url_for(f"{area}.result_page", job_id=job.id))


def result_file(job: Job, filename: str):
    """The job's workbook as an .xlsx download; 409 while it runs."""
    from flask import jsonify

    from web.downloads import xlsx_download

    if job.status != "done":
        return jsonify(error={"status": 409, "message_zh": "尚未完成", "message_en": "the run is not done"}), 409
    content = runner().result_file(job.id) or b""
    return xlsx_download(lambda file: file.write(content), filename)


def uploads(request_files: dict[str, bytes]) -> dict[str, str]:
    """Uploaded workbooks as text a JSON column keeps (base64); ``uploaded`` reads them back in the worker."""
    import base64

    return {name: base64.b64encode(content).decode("ascii") for name, content in request_files.items()}


def uploaded(request: dict, name: str):
    import base64
    import io

    content = (request.get("files") or {}).get(name)
    return None if content is None else io.BytesIO(base64.b64decode(content))


def workbook_bytes(write: Callable[[Any], None]) -> bytes:
    import io

    buffer = io.BytesIO()
    write(buffer)
    return buffer.getvalue()


def request_body() -> dict:
    """A JSON object, or the fields of a (multipart) form."""
    from flask import request
    from marshmallow import ValidationError

    body = request.get_json(silent=True) if request.is_json else {k: v for k, v in request.form.items()}
    if not isinstance(body, dict):
        raise ValidationError({"_body": ["请求体应为JSON对象 / the body must be a JSON object"]})
    return body


def started(job: Job, answer: Callable[[Job], dict]):
    """The API's answer to a new job: 202 while it runs, 200 once done (?wait=N waits up to N seconds)."""
    from flask import jsonify, request

    job = runner().wait(job, request.args.get("wait", 0, type=float) or 0)
    return jsonify(answer(job)), 200 if job.status in ("done", "failed") else 202
