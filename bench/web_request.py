"""Where one POST /api/v1/schemes/<scheme>/evaluate spends its time inside the web app: the rules engine
(evaluate_records and the explanation, as web/batcher.py runs them) against everything around it (the JSON body's
checks, the marshmallow schemas, the county parameters' lookup, the session cookie, the answer's JSON, the headers).

In one process through Flask's test client (no HTTP server, no network), the evaluation run in the request's own
thread by the batcher's own functions, and CPU time per thread (time.thread_time), so a busy machine changes the
figures less than wall time would. The baseline, measured the same way in the same run, is GET /healthz: the cost
of Flask's request handling with no work. Issue 19: requests should spend their time in the engine, not in
serialisation.

    python bench/web_request.py [--requests 400] [--scheme disability_care] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.web_load import FACTS, JURISDICTION  # noqa: E402


def _app(workdir: Path):
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    environment = {**os.environ, "PYTHONPATH": str(REPO), "CARECALC_SECRET_KEY": "bench", "CARECALC_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "care_services.cli", "sample", "load"], cwd=workdir, env=environment,
                   check=True, capture_output=True, timeout=300)
    from web import create_app

    return create_app({"DATABASE_URL": url, "JOB_WORKERS": 0, "SECRET_KEY": "bench"})


class _InlineBatcher:
    """The batcher's own steps (web/batcher.py) in the calling thread, timing the engine's part."""

    def __init__(self, batcher) -> None:
        self.batcher, self.engine_seconds = batcher, 0.0

    def evaluate(self, scheme, facts, *, date, jurisdiction, parameters, timeout=60.0):
        from subsidy_rules.engine import check_fact_names, get_scheme
        from web.batcher import _Request

        check_fact_names(get_scheme(scheme), facts)
        request = _Request(scheme, dict(facts), date or dt.date.today(), jurisdiction, parameters)
        began = time.thread_time()
        self.batcher._evaluate([request])
        self.engine_seconds += time.thread_time() - began
        return request.answer.result()


def _per_request(call, count: int) -> float:
    """Median CPU ms per request over ``count`` requests in ten rounds."""
    rounds = []
    for _ in range(10):
        began = time.thread_time()
        for _ in range(max(1, count // 10)):
            call()
        rounds.append((time.thread_time() - began) / max(1, count // 10) * 1000)
    return statistics.median(rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--scheme", choices=sorted(FACTS), default="disability_care")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions by own time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # instance/ and anything else the app writes stays in the scratch folder
        app = _app(Path(scratch))
        inline = _InlineBatcher(app.extensions["carecalc_batcher"])
        app.extensions["carecalc_batcher"] = inline
        client = app.test_client()
        path = f"/api/v1/schemes/{args.scheme}/evaluate"
        body = {"facts": FACTS[args.scheme], "jurisdiction": JURISDICTION[args.scheme], "date": "2024-04-01"}
        answer = client.post(path, json=body)
        assert answer.status_code == 200 and answer.get_json()["eligible"] is True, answer.get_data(as_text=True)
        for _ in range(20):  # warm: schemas, parameter set, connection pool
            client.post(path, json=body)
            client.get("/healthz")
        health = _per_request(lambda: client.get("/healthz"), args.requests)
        inline.engine_seconds = 0.0
        rounds = max(1, args.requests // 10) * 10
        evaluate = _per_request(lambda: client.post(path, json=body), args.requests)
        engine = inline.engine_seconds / rounds * 1000
        outside = evaluate - engine
        print(f"POST {path} in one process (Flask test client), CPU ms per request, median of 10 rounds of "
              f"{rounds // 10}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"  evaluate request   {evaluate:7.3f} ms")
        print(f"    rules engine     {engine:7.3f} ms  ({engine / evaluate:.0%} of the request; evaluate_records + explain)")
        print(f"    around it        {outside:7.3f} ms  (request checks, schemas, parameters, JSON, headers)")
        print(f"  GET /healthz       {health:7.3f} ms  (Flask's request handling alone)")
        print(f"  around the engine beyond /healthz: {outside - health:.3f} ms; "
              f"request ÷ healthz {evaluate / health:.1f}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                client.post(path, json=body)
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("SORT", "tottime")).print_stats(int(os.environ.get("TOP", "25")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
