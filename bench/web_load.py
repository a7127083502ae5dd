"""Load on POST /api/v1/schemes/<scheme>/evaluate: throughput and p50/p99 latency at 1, 16 and 64 clients.

The server runs as its own process (`carecalc serve`, the sample database in a temporary directory), as many web
processes as the README recommends: one per CPU core this process may use (granian; one is waitress);
``--server gunicorn`` serves the same app with gunicorn's gthread workers instead, for comparison. The load
generator is wrk (Debian's package, written in C: it takes little of the CPU the server shares with it) where it
is installed, else this process, one thread per client; either way one persistent HTTP connection per client on
loopback (``--load-generator``). The baseline,
measured the same way in the same run, is GET /healthz (the server and HTTP stack with no work): the ratio says how
much of the time the rules engine itself takes. The server's output goes to a file (printed if it fails): a pipe
nobody reads fills with waitress's queue warnings under load and stops the server. Nothing waits without a bound:
every request, the server's start and stop and each load phase have a timeout. The load average is printed before
and after, since a busy machine slows /healthz and evaluate alike. Target (issue 19): p99 of POST evaluate under
50 ms at 64 clients.

    python bench/web_load.py [--seconds 5] [--workers N] [--threads 16] [--scheme disability_care]
                             [--server carecalc|gunicorn] [--load-generator wrk|python]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FACTS = {  # an applicant who meets every condition of 宜府办发〔2023〕20号
    "disability_care": {
        "hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
        "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
        "disability_grade": 1, "tekun_supported": False, "adl_eating": True, "adl_dressing": True,
        "adl_transfer": True, "adl_toileting": True, "adl_walking_indoors": False, "adl_bathing": False,
        "requested_service": "home_care", "two_subsidies_month": 200,
    },
    "childcare_operation": {"inclusive": True, "monthly_fee": 800, "local_inclusive_price": 900, "enrolled_under_3": 30},
}
JURISDICTION = {"disability_care": "360902", "childcare_operation": "360403"}


REQUEST_TIMEOUT = 10.0  # seconds one request may take before it counts as an error


def recommended_workers() -> int:
    """The README's number of web processes: one per CPU core (those this process may run on)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workdir: Path, port: int, threads: int, log: Path, workers: int = 1,
                 server_kind: str = "carecalc") -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "CARECALC_SECRET_KEY": "bench",
                   "CARECALC_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}"}
    cli = [sys.executable, "-m", "care_services.cli"]
    subprocess.run([*cli, "sample", "load"], cwd=workdir, env=environment, check=True, capture_output=True,
                   timeout=300)
    command = [*cli, "serve", "--port", str(port), "--threads", str(threads), "--workers", str(workers),
               "--job-workers", "0"]
    if server_kind == "gunicorn":  # the same app under gunicorn's gthread workers (not a dependency: installed by hand)
        environment["CARECALC_JOB_WORKERS"] = "0"
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
                   "-b", f"127.0.0.1:{port}", "--timeout", "360", "web:create_app()"]
    with log.open("wb") as output:  # the child keeps its own handle: the file takes everything, nothing blocks
        server = subprocess.Popen(command, cwd=workdir, env=environment, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError("the server did not start: " + log.read_text(errors="replace")[-2000:])


def stop(server: subprocess.Popen) -> None:
    """Terminate the server (granian and gunicorn stop their workers on SIGTERM); killed if not ended in 30 s."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def cpu_seconds(pid: int) -> float | None:
    """CPU time the server has used, its worker processes included (Linux /proc): per request it does not depend
    on what else runs."""
    try:
        total = 0
        for process in [pid, *_children(pid)]:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (the server's workers), by their parent in /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def load(port: int, clients: int, seconds: float, method: str, path: str, body: bytes | None,
         server_pid: int | None = None) -> dict:
    """``clients`` threads, each on its own keep-alive connection, for ``seconds``; latencies of every request."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]
    headers = {"Content-Type": "application/json"} if body else {}

    def client(index: int) -> None:
        start.wait(timeout=60)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            if ok:
                latencies[index].append(time.perf_counter() - began)
            else:
                failures[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    began = time.perf_counter()
    start.wait(timeout=60)
    for thread in threads:  # a request ends within REQUEST_TIMEOUT of the phase's end, so this bound is never hit
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    elapsed = time.perf_counter() - began
    cpu_after = cpu_seconds(server_pid) if server_pid else None
    every = sorted(x for part in latencies for x in part)
    if not every:
        return _figures(0, sum(failures))
    return _figures(len(every), sum(failures), len(every) / elapsed, statistics.median(every) * 1000,
                    every[min(len(every) - 1, int(len(every) * 0.99))] * 1000, cpu_before, cpu_after, len(every))


def _figures(ok: int, failures: int, per_second: float = 0.0, p50_ms: float | None = None,
             p99_ms: float | None = None, cpu_before: float | None = None, cpu_after: float | None = None,
             served: int = 0) -> dict:
    """One measurement's figures (both load generators): the server's CPU per request over the ``served`` ones."""
    if not ok:
        return {"requests": 0, "per_second": 0.0, "p50_ms": None, "p99_ms": None, "failures": failures,
                "cpu_ms": None}
    cpu_ms = (cpu_after - cpu_before) / served * 1000 if cpu_before is not None and cpu_after is not None else None
    return {"requests": ok, "per_second": per_second, "p50_ms": p50_ms, "p99_ms": p99_ms, "failures": failures,
            "cpu_ms": cpu_ms}


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load_wrk(port: int, clients: int, seconds: float, method: str, path: str, body: bytes | None,
             server_pid: int | None = None) -> dict:
    """The same measurement by wrk: ``clients`` connections from one wrk thread; its 50th and 99th percentiles."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = {json.dumps(method)}\n")
        if body:
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
            script.write(f"wrk.body = [==[{body.decode()}]==]\n")  # a Lua long string: the bytes as they are
    try:
        cpu_before = cpu_seconds(server_pid) if server_pid else None
        began = time.perf_counter()
        output = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--latency",
                                 f"--timeout={REQUEST_TIMEOUT:g}s", "-s", script.name, f"http://127.0.0.1:{port}{path}"],
                                capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT + 30).stdout
        elapsed = time.perf_counter() - began
        cpu_after = cpu_seconds(server_pid) if server_pid else None
    finally:
        os.unlink(script.name)

    def latency(percentile: str) -> float | None:
        found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(found[1]) * _WRK_UNITS[found[2]] if found else None

    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    requests = int(total[1]) if total else 0
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    failures += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    ok = max(0, requests - failures)
    if not ok:
        return _figures(0, failures)
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]) if "Requests/sec" in output else ok / elapsed
    return _figures(ok, failures, per_second, latency("50"), latency("99"), cpu_before, cpu_after, requests)


def latency_floor(clients: int, cpu_ms: float, cores: int) -> str:
    """What the server's CPU per request allows at best: ``clients`` closed-loop clients each waiting for its
    answer keep ``clients`` requests in the system, so (Little's law) their mean latency is clients ÷ throughput,
    and the throughput is at most cores ÷ CPU per request (more if the load generator took no CPU at all)."""
    most_per_second = cores / (cpu_ms / 1000)
    return (f"at {cpu_ms:.2f} ms of server CPU per request, {cores} cores answer at most {most_per_second:.0f} a second; "
            f"{clients} clients then wait {clients / most_per_second * 1000:.0f} ms on average at the least "
            f"(Little's law: clients ÷ throughput), before any spread")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (default 5)")
    parser.add_argument("--threads", type=int, default=16, help="threads per web process (default 16, as carecalc serve)")
    parser.add_argument("--workers", type=int, default=recommended_workers(),
                        help="web processes (carecalc serve --workers: 1 is waitress, more is granian; default: "
                             f"one per CPU core as the README says, here {recommended_workers()})")
    parser.add_argument("--server", choices=("carecalc", "gunicorn"), default="carecalc",
                        help="carecalc serve (default), or the same app under gunicorn's gthread workers")
    parser.add_argument("--load-generator", choices=("wrk", "python"),
                        default="wrk" if shutil.which("wrk") else "python",
                        help="wrk (the default where installed: apt install wrk) or this process's threads")
    parser.add_argument("--scheme", choices=sorted(FACTS), default="disability_care")
    parser.add_argument("--clients", default="1,16,64")
    args = parser.parse_args()
    body = json.dumps({"facts": FACTS[args.scheme], "jurisdiction": JURISDICTION[args.scheme],
                       "date": "2024-04-01"}).encode()
    evaluate_path = f"/api/v1/schemes/{args.scheme}/evaluate"
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        log = Path(scratch) / "server.log"
        server = start_server(Path(scratch), port, args.threads, log, args.workers, args.server)
        measure = load_wrk if args.load_generator == "wrk" else load
        try:
            check = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            check.request("POST", evaluate_path, body=body, headers={"Content-Type": "application/json"})
            answer = json.loads(check.getresponse().read())
            assert answer["eligible"] is True, answer
            if args.server == "gunicorn":
                served = f"gunicorn gthread, {args.workers} processes of {args.threads} threads"
            else:
                served = f"waitress, {args.threads} threads" if args.workers == 1 else \
                    f"granian, {args.workers} processes of {args.threads} threads"
            print(f"POST {evaluate_path} ({served}; {os.cpu_count()} CPUs; load from {args.load_generator}), "
                  f"{args.seconds:g} s per level; baseline GET /healthz measured the same way; cpu ms: the server's "
                  f"CPU time per request")
            print(f"load average before: {_load()}")
            print(f"{'clients':>7} {'evaluate/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'healthz/s':>10} "
                  f"{'p50 ms':>8} {'p99 ms':>8} {'p99 ÷ healthz':>13} {'cpu ms/ev':>9} {'cpu ms/hz':>9} {'errors':>6}")
            for clients in (int(c) for c in args.clients.split(",")):
                baseline = measure(port, clients, args.seconds, "GET", "/healthz", None, server.pid)
                time.sleep(1.0)  # let the server drop the last phase's connections (waitress keeps at most 100)
                measured = measure(port, clients, args.seconds, "POST", evaluate_path, body, server.pid)
                time.sleep(1.0)
                if not measured["requests"] or not baseline["requests"]:
                    print(f"{clients:>7} no successful requests (errors: {measured['failures']} / {baseline['failures']})")
                    continue
                ratio = measured["p99_ms"] / baseline["p99_ms"] if baseline["p99_ms"] else float("nan")
                print(f"{clients:>7} {measured['per_second']:>11.1f} {measured['p50_ms']:>8.2f} {measured['p99_ms']:>8.2f} "
                      f"{baseline['per_second']:>10.1f} {baseline['p50_ms']:>8.2f} {baseline['p99_ms']:>8.2f} "
                      f"{ratio:>13.2f} {_ms(measured['cpu_ms']):>9} {_ms(baseline['cpu_ms']):>9} "
                      f"{measured['failures'] + baseline['failures']:>6}", flush=True)
                if clients == 64:
                    verdict = "met" if measured["p99_ms"] < 50 else "NOT met"
                    print(f"  64 clients: p99 {measured['p99_ms']:.1f} ms (target: under 50 ms: {verdict})")
                    if measured["cpu_ms"]:
                        print("  " + latency_floor(clients, measured["cpu_ms"], recommended_workers()))
        except BaseException:
            print("server output (last lines):\n" + log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            stop(server)
    print(f"load average after: {_load()}")
    return 0


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min)"
    except OSError:
        return "—"


if __name__ == "__main__":
    sys.exit(main())
