"""A newcomer's path: every `carecalc` command in the README's shell blocks runs as written (optional [parts]
left out) from a copy of the repository's examples/, in a fresh database, exits 0 and prints what it says.

The production section's blocks are marked ```bash, not ```sh: they need PostgreSQL, a Dask cluster or start
workers that never return, and are proved by tests/test_scale_out.py and tests/budget/test_distributed.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple 7"


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s{2,}#.*$", "", line).strip()
            if line.startswith("carecalc "):
                commands.append(re.sub(r"\s*\[[^\]]*\]", "", line).strip())
    return commands


COMMANDS = readme_commands()


def test_the_readme_names_the_path_and_the_examples():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "source .venv/bin/activate" in text
    named = set(re.findall(r"examples/([^\s`]+)", text)) - {"build.py"}
    assert named and all((ROOT / "examples" / name).exists() for name in named), named
    assert len(COMMANDS) >= 25


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("newcomer")
    shutil.copytree(ROOT / "examples", folder / "examples")
    return folder


def run(command: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARECALC_DATABASE_URL": f"sqlite:///{folder / 'carecalc.sqlite3'}"}
    env.pop("CARECALC_TEST_POSTGRES_URL", None)
    args = command.split()[1:]
    return subprocess.run([sys.executable, "-m", "care_services.cli", *args], cwd=folder, env=env, text=True,
                          capture_output=True, timeout=900, input=f"{PASSWORD}\n")


CHECKS = {  # what a command's output must show, beyond exit 0 and no traceback
    "evaluate disability_care": lambda out, folder: json.loads(out)["amount"] == 600,
    "evaluate elderly_institution_construction": lambda out, folder: json.loads(out)["amount"] > 1_100_000,
    "evaluate childcare_operation": lambda out, folder: "姓名或机构名称" in [
        c.value for c in load_workbook(folder / "result.xlsx").active[1]],
    "export districts": lambda out, folder: (folder / "区划.xlsx").exists() and "13" in out,
    "budget --caseload": lambda out, folder: (folder / "预算.xlsx").exists() and "万元" in out,
    "payroll 2024-04 --jurisdiction 360902 --output 银行代发清单.xlsx": lambda out, folder: (folder / "银行代发清单.xlsx").exists(),
    "schemes": lambda out, folder: "disability_care" in out,
}


@pytest.mark.parametrize("command", COMMANDS, ids=range(len(COMMANDS)))
def test_every_readme_command_runs(command, workdir):
    if command.startswith("carecalc serve"):
        pytest.skip("serve never returns: tests/test_serve.py starts it, tests/test_cli_errors.py the busy port")
    answer = run(command, workdir)
    printed = answer.stdout + answer.stderr
    assert answer.returncode == 0, f"{command}\n{printed[-2000:]}"
    assert "Traceback" not in printed and "内部错误" not in printed and printed.strip()
    for key, check in CHECKS.items():
        if command.startswith(f"carecalc {key}"):
            assert check(answer.stdout, workdir), f"{command}\n{printed[-2000:]}"
