"""The golden cases, kept in files policy officers can read and write (tests/rules/cases): each case its own test."""

from pathlib import Path

import pytest

from subsidy_rules.case_files import Outcome, load_cases, report, run_case

CASES = Path(__file__).parent / "cases"
ALL = [case for path in sorted(CASES.glob("*.yaml")) for case in load_cases(path)]


@pytest.mark.parametrize("case", ALL, ids=[f"{c.source} {c.name}" for c in ALL])
def test_golden_case(case):
    outcome = run_case(case)
    assert outcome.passed, report([outcome])


def test_every_case_names_its_clause_or_is_an_input_check():
    unnamed = [c.source for c in ALL if not c.reference and not (set(c.expect) & {"error", "in_force"})]
    assert unnamed == []
