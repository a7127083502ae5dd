"""Errors a user can cause exit 2 with Chinese and English (never 内部错误 / a traceback); --json prints JSON
only; one scenario file format for evaluate and budget (structured or flat)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from subsidy_rules.batch import examples
from subsidy_rules.scenario import ScenarioError, normalise


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "care_services.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def refused(answer, *words):
    assert answer.returncode == 2, (answer.stdout, answer.stderr)
    assert "内部错误" not in answer.stderr and "Traceback" not in answer.stderr
    for word in words:
        assert word in answer.stderr, answer.stderr


PERSON = examples()["disability_care"]["facts"]


def test_a_workbook_given_as_facts(tmp_path):
    book = tmp_path / "cases.xlsx"
    book.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe")
    refused(run("evaluate", "disability_care", "--facts", str(book), "--jurisdiction", "360902"), "--input", "UTF-8")


def test_unknown_scheme_without_stray_quotes():
    answer = run("evaluate", "no_such_scheme", "--facts", "x.json")
    refused(answer, "未知补贴项目“no_such_scheme”")
    assert "\"未知" not in answer.stderr and "'未知" not in answer.stderr


@pytest.mark.parametrize("text", ["disability_care.home_care_month: 6000元\n",
                                  "name: 甲\nparameters:\n  disability_care.home_care_month: 6000元\n"])
def test_a_value_with_its_unit_is_refused_by_evaluate_and_budget(tmp_path, text):
    scenario = tmp_path / "reform.yaml"
    scenario.write_text(text, encoding="utf-8")
    facts = tmp_path / "case.json"
    facts.write_text(json.dumps(PERSON), encoding="utf-8")
    refused(run("evaluate", "disability_care", "--facts", str(facts), "--jurisdiction", "360902",
                "--scenario", str(scenario)), "6000元", "应为数字")
    refused(run("budget", "--sample", "--scenario", str(scenario)), "6000元", "应为数字")


def test_one_scenario_format_for_evaluate_and_budget(tmp_path):
    structured = tmp_path / "reform.yaml"
    structured.write_text("name: 居家800\nparameters:\n  disability_care.home_care_month: 800\n"
                          "assumptions:\n  occupancy: 0.8\n", encoding="utf-8")
    flat = tmp_path / "flat.yaml"
    flat.write_text("disability_care.home_care_month: 800\n", encoding="utf-8")
    facts = tmp_path / "case.json"
    facts.write_text(json.dumps(PERSON), encoding="utf-8")
    for path in (structured, flat):
        answer = run("evaluate", "disability_care", "--facts", str(facts), "--jurisdiction", "360902",
                     "--date", "2024-04-01", "--scenario", str(path))
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout)["amount"] == 800
    budget = run("budget", "--sample", "--synthetic", "50", "--scenario", str(structured), "--scenario", str(flat),
                 "--json")
    assert budget.returncode == 0, budget.stderr
    figures = json.loads(budget.stdout)  # --json: stdout is the JSON and nothing else
    assert [s["name"] for s in figures["scenarios"]] == ["baseline", "居家800", "flat"]
    assert all(round(y["amount"], 2) == y["amount"] for s in figures["scenarios"] for y in s["by_year"])


def test_scenario_forms():
    assert normalise({"a.b": 1}, "x") == {"name": "x", "parameters": {"a.b": 1}, "assumptions": {}}
    assert normalise({"name": "n", "parameters": {"a.b": 1}}, "x")["name"] == "n"
    with pytest.raises(ScenarioError):
        normalise({"parameters": {}, "typo": 1}, "x")
    with pytest.raises(ScenarioError):
        normalise(["a"], "x")


@pytest.mark.parametrize("processes", [[], ["--workers", "2"]], ids=["waitress", "granian"])
def test_serve_on_a_busy_port_says_so_first(tmp_path, processes):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        answer = run("--database", f"sqlite:///{tmp_path / 's.sqlite3'}", "serve", "--port", str(port), *processes,
                     timeout=120)
    refused(answer, "端口", "--port")
    assert "正在运行" not in answer.stdout and "serving" not in answer.stdout


def test_the_web_budget_takes_the_same_scenario_file():
    from web.budget import _scenarios
    from subsidy_rules.budget import Assumptions
    from subsidy_rules.parameters import default_parameters
    from web.schemas import ValidationError

    data = {"scenarios": [{"disability_care.home_care_month": 800}],
            "scenario_yaml": "name: 甲\nparameters:\n  disability_care.home_care_month: 700\n"}
    names = [s.name for s in _scenarios(data, Assumptions(), default_parameters())]
    assert names == ["baseline", "方案1", "甲"]
    with pytest.raises(ValidationError) as refused:
        _scenarios({"scenarios": [], "scenario_yaml": "disability_care.home_care_month: 6000元\n"}, Assumptions(),
                   default_parameters())
    assert "6000元" in str(refused.value.messages)
