"""`carecalc allocate` keeps the solver's own log off the terminal unless --verbose asks for it (issue 18)."""

import json
import re
import subprocess
import sys

SAMPLE = ["allocate", "--sample", "--year", "2025", "--time-limit", "30", "--backend", "highs"]
OUR_LINES = re.compile(r"^(区划\d+个|求解中 |已写入 |  )")  # the summary line, the progress line, written files


def run(*args):
    return subprocess.run([sys.executable, "-m", "care_services.cli", *args], capture_output=True, text=True,
                          timeout=600)


def test_the_solver_is_quiet_unless_asked():
    quiet = run(*SAMPLE, "--json")
    assert quiet.returncode == 0, quiet.stderr
    json.loads(quiet.stdout)  # stdout: the JSON only
    strays = [line for line in quiet.stderr.splitlines() if line and not OUR_LINES.match(line)]
    assert strays == [], strays[:5]  # no solver log, no debug lines
    assert "Coefficient ranges" not in quiet.stderr and "HiGHS" not in quiet.stderr

    verbose = run(*SAMPLE, "--json", "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert json.loads(verbose.stdout)["status"] == json.loads(quiet.stdout)["status"]  # stdout still JSON only
    assert "Coefficient ranges" in verbose.stderr  # the backend's own log, on stderr
    assert len(verbose.stderr.splitlines()) > len(quiet.stderr.splitlines()) + 10
