"""One case through the single-case API (``engine.evaluate``, the full JSON answer) against a plain Python
function of the same rule, in the same run.

The plain function is 宜府办发〔2023〕20号's disability_care rule written directly for one applicant, with Yichun's
parameters inlined: no explanation, no citations, no unknown facts. It is the floor any engine pays for
reading the facts and doing the arithmetic; the ratio says what the engine's generality costs per case.
Both answers must agree (eligibility, amount, integration) on every applicant measured, or the script fails.
Target (issue 19): one case under 1 ms.

    python bench/one_case.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from subsidy_rules.engine import evaluate  # noqa: E402
from subsidy_rules.parameters import default_parameters  # noqa: E402

DATE = dt.date(2024, 4, 1)
APPLICANTS = [  # eligible at home, eligible in an institution, ineligible (category), undecided (two activities unknown)
    {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
     "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
     "disability_grade": 1, "tekun_supported": False, "adl_eating": True, "adl_dressing": True,
     "adl_transfer": True, "adl_toileting": True, "adl_walking_indoors": False, "adl_bathing": False,
     "requested_service": "home_care", "two_subsidies_month": 200},
    {"hukou_division_code": "360921", "birth_date": "1971-11-30", "dibao_household": False,
     "at_risk_of_poverty": True, "has_disability_certificate": True, "disability_category": "mental",
     "disability_grade": 2, "tekun_supported": False, "adl_eating": True, "adl_dressing": True,
     "adl_transfer": True, "adl_toileting": True, "adl_walking_indoors": True, "adl_bathing": True,
     "requested_service": "institutional_care", "institution_type": "private", "two_subsidies_month": 150,
     "dibao_month": 500, "elderly_allowance_month": 100},
    {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
     "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "visual",
     "disability_grade": 1, "tekun_supported": False, "adl_eating": True, "adl_dressing": True,
     "adl_transfer": True, "adl_toileting": True, "adl_walking_indoors": False, "adl_bathing": False,
     "requested_service": "home_care"},
    {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
     "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
     "disability_grade": 1, "tekun_supported": False, "adl_transfer": True, "adl_toileting": True,
     "adl_walking_indoors": False, "adl_bathing": False, "requested_service": "home_care"},
]
ADL = ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing")


def plain_rule(facts: dict, date: dt.date) -> dict:
    """disability_care for one applicant in plain Python (Yichun's parameters inlined; None: undecided)."""
    birth = dt.date.fromisoformat(facts["birth_date"])
    age = date.year - birth.year - ((date.month, date.day) < (birth.month, birth.day))
    known_failed = sum(1 for name in ADL if facts.get(name) is True)
    possible = sum(1 for name in ADL if facts.get(name) is not False)
    severe = True if known_failed >= 4 else False if possible < 4 else None
    criteria = [
        facts["hukou_division_code"].startswith("3609"),
        age >= 16,
        bool(facts.get("dibao_household")) or bool(facts.get("at_risk_of_poverty")),
        facts.get("has_disability_certificate") is not False and facts.get("disability_category") in (
            "physical", "intellectual", "mental") and facts.get("disability_grade") in (1, 2),
        facts.get("tekun_supported") is False,
        severe,
    ]
    eligible = False if False in criteria else None if None in criteria else True
    if not eligible:
        return {"eligible": eligible, "amount": 0 if eligible is False else None}
    institutional = facts["requested_service"] == "institutional_care"
    amount = 1000 if institutional else 600
    own = facts.get("two_subsidies_month") or 0
    if institutional:
        own += (facts.get("dibao_month") or 0) + (facts.get("elderly_allowance_month") or 0)
    integrated = min(own, amount)
    return {"eligible": True, "amount": amount, "integrated": integrated, "fallback": amount - integrated}


def per_call(function, repeat: int) -> float:
    """Median CPU seconds per call over 20 batches of calls.

    CPU time of this process, not wall time: on a shared machine wall time mostly measures the other
    processes (``--wall`` prints it too); the median resists the rest of the noise.
    """
    batch = max(1, repeat // 20)
    times = []
    for _ in range(20):
        start = CLOCK[0]()
        for _ in range(batch):
            function()
        times.append((CLOCK[0]() - start) / batch)
    return statistics.median(times)


CLOCK = [time.process_time]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="calls per applicant and path (default 2000)")
    parser.add_argument("--wall", action="store_true", help="measure wall time instead of CPU time")
    args = parser.parse_args()
    if args.wall:
        CLOCK[0] = time.perf_counter
    parameters = default_parameters()
    for facts in APPLICANTS:  # the same answers, and warm caches
        answer = evaluate("disability_care", facts, date=DATE, jurisdiction=facts["hukou_division_code"],
                          parameters=parameters)
        plain = plain_rule(facts, DATE)
        assert answer["eligible"] == plain["eligible"], (answer["eligible"], plain)
        assert answer["amount"] == plain["amount"], (answer["amount"], plain)
        if plain["eligible"]:
            assert answer["funding"]["integrated"] == plain["integrated"], (answer["funding"], plain)
    print(f"disability_care, one case at a time ({len(APPLICANTS)} applicants: eligible at home and in an "
          f"institution, ineligible, undecided); median of 20 batches, {'wall' if args.wall else 'CPU'} time")
    print(f"{'applicant':>9} {'engine.evaluate µs':>19} {'plain Python µs':>16} {'ratio':>8}")
    engine_times, plain_times = [], []
    for number, facts in enumerate(APPLICANTS, start=1):
        jurisdiction = facts["hukou_division_code"]
        engine = per_call(lambda: evaluate("disability_care", facts, date=DATE, jurisdiction=jurisdiction,
                                           parameters=parameters), args.repeat)
        plain = per_call(lambda: plain_rule(facts, DATE), args.repeat * 10)
        engine_times.append(engine)
        plain_times.append(plain)
        print(f"{number:>9} {engine * 1e6:>19.0f} {plain * 1e6:>16.1f} {engine / plain:>7.0f}x")
    engine, plain = statistics.median(engine_times), statistics.median(plain_times)
    print(f"{'median':>9} {engine * 1e6:>19.0f} {plain * 1e6:>16.1f} {engine / plain:>7.0f}x")
    print(f"one case: {engine * 1000:.3f} ms (target: under 1 ms: {'met' if engine < 1e-3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
