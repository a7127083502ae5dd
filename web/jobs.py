"""Long runs (budget projections, allocations) as background jobs with progress, polled by the page or the API.

Jobs run in a small thread pool of the web process (waitress serves with threads, so one process holds them);
the newest results are kept in memory for download, the oldest dropped past ``KEEP``. A job belongs to whoever
started it: the same login, or for an anonymous user the same browser session.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

KEEP = 50


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    status: str = "queued"  # queued / running / done / failed
    message: str = ""
    fraction: float | None = None
    result: Any = None
    error: dict | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def report(self, message: str, fraction: float | None = None) -> None:
        self.message, self.fraction = message, fraction

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status, "message": self.message,
                "fraction": self.fraction, "error": self.error,
                "created": dt.datetime.fromtimestamp(self.created, dt.timezone.utc).isoformat(timespec="seconds"),
                "seconds": round((self.finished or time.time()) - self.created, 1)}


class Busy(Exception):
    """Too many runs waiting: the client is told to come back (429) instead of queueing without end."""

    zh, en = "当前运行的测算过多，请稍后再试", "too many runs in progress; try again shortly"


class JobRunner:
    def __init__(self, workers: int = 2, max_pending: int = 8, max_wait: float = 300.0):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carecalc-job")
        self.max_pending, self.max_wait = max_pending, max_wait
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.lock = threading.Lock()

    def submit(self, kind: str, owner: str, work: Callable[[Job], Any],
               expected: tuple[type[BaseException], ...] = ()) -> Job:
        """Run ``work(job)`` in the background; an exception of ``expected`` becomes the job's bilingual error."""
        job = Job(secrets.token_urlsafe(12), kind, owner)
        with self.lock:
            if sum(j.status in ("queued", "running") for j in self.jobs.values()) >= self.max_pending:
                raise Busy()
            self.jobs[job.id] = job
            while len(self.jobs) > KEEP:
                self.jobs.popitem(last=False)

        def run() -> None:
            job.status = "running"
            try:
                job.result = work(job)
                job.status = "done"
            except expected as error:
                job.status, job.error = "failed", _error_of(error)
            except Exception as error:  # reported, never lost in the thread
                job.status = "failed"
                job.error = {"message_zh": "运行出错", "message_en": f"the run failed: {type(error).__name__}: {error}"}
            finally:
                job.finished = time.time()
        self.pool.submit(run)
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        job = self.jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def wait(self, job: Job, seconds: float) -> Job:
        deadline = time.monotonic() + max(0.0, min(seconds, self.max_wait))
        while job.status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
        return job


    def shutdown(self) -> None:
        """Stop taking work; runs not yet started are dropped (used when the app stops)."""
        self.pool.shutdown(wait=False, cancel_futures=True)


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


def runner() -> JobRunner:
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


def result_file(job: Job, write: Callable[[Any, Any], None], filename: str):
    """The job's result written by ``write(result, file)`` as an .xlsx download; 409 while it runs."""
    from flask import jsonify

    from web.downloads import xlsx_download

    if job.status != "done":
        return jsonify(error={"status": 409, "message_zh": "尚未完成", "message_en": "the run is not done"}), 409
    return xlsx_download(lambda file: write(job.result, file), filename)


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
