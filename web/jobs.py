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
