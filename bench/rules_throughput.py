"""disability_care over a million synthetic applicants: the engine against hand-written numpy and one-by-one.

Prints rows per second for:
- the engine's batch API (eligibility, per-criterion results, amount, funding split), on typed columns;
- a hand-written numpy expression of the same rule with Yichun's parameters inlined (the baseline), both from the
  same frame (reading the columns out included) and on arrays read out beforehand (the rule alone);
- the single-case API, row by row, on a sample (its rate is extrapolated);
and the ratios, and the process's peak memory after the engine's batch. Times are CPU time of this process (on
a shared machine wall time mostly measures the other processes); ``--wall`` for wall time. Targets: batch within
1.5x of the hand-written numpy rule (issue 19; 2x in issue 3); batch at least 20x the single-case rate; peak
memory for 1M rows no more than before (about 512 MB, issue 19).
The engine's and the baseline's answers must agree on every row, or the script fails.

    python bench/rules_throughput.py [--rows 1000000] [--single 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import pandas as pd

from care_services.synthetic import generate_people
from subsidy_rules.engine import evaluate, evaluate_frame
from subsidy_rules.parameters import default_parameters

DATE = dt.date(2024, 6, 1)
CATEGORY = {"1": "visual", "2": "hearing", "3": "speech", "4": "physical", "5": "intellectual", "6": "mental", "7": "multiple"}
ADL = ["adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing"]


def applicants(rows: int, seed: int = 1) -> pd.DataFrame:
    """Typed disability_care facts for ``rows`` synthetic applicants (a generated block, repeated)."""
    block = generate_people(min(rows, 200_000), seed)
    rng = np.random.default_rng(seed)
    certificate = block["disability_certificate_number"]
    service = block["requested_service"]
    facts = pd.DataFrame({
        "jurisdiction": block["hukou_division_code"],
        "hukou_division_code": block["hukou_division_code"],
        "birth_date": pd.to_datetime(block["id_number"].str[6:14], format="%Y%m%d"),
        "dibao_household": block["dibao_household"].astype(bool),
        "at_risk_of_poverty": block["at_risk_of_poverty"].astype(bool),
        "has_disability_certificate": certificate.notna().astype(bool),
        "disability_category": certificate.str[18].map(CATEGORY),
        "disability_grade": pd.to_numeric(certificate.str[19]).astype("Int64"),
        "tekun_supported": block["tekun_supported"].astype(bool),
        **{name: block[name].astype(bool) for name in ADL},
        "requested_service": service,
        "institution_type": np.where(service == "institutional_care",
                                     rng.choice(["comprehensive_disability", "private"], len(block)), None),
        "two_subsidies_month": rng.choice([0.0, 80.0, 150.0], len(block)),
        "dibao_month": rng.choice([0.0, 300.0, 500.0], len(block)),
        "elderly_allowance_month": rng.choice([0.0, 100.0], len(block)),
    })
    repeats = -(-rows // len(facts))
    return pd.concat([facts] * repeats, ignore_index=True).iloc[:rows]


def extract(facts: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns as the numpy arrays a hand-written expression works on."""
    birth = facts["birth_date"]
    arrays = {
        "birth_year": birth.dt.year.to_numpy(), "birth_month": birth.dt.month.to_numpy(), "birth_day": birth.dt.day.to_numpy(),
        "hukou": facts["hukou_division_code"].to_numpy(dtype=str),
        "category": facts["disability_category"].to_numpy(dtype=object),
        "grade": facts["disability_grade"].to_numpy(dtype="float64", na_value=np.nan),
        "service": facts["requested_service"].to_numpy(dtype=object),
        "adl": facts[ADL].to_numpy(),
    }
    for name in ("dibao_household", "at_risk_of_poverty", "tekun_supported", "two_subsidies_month", "dibao_month",
                 "elderly_allowance_month"):
        arrays[name] = facts[name].to_numpy()
    return arrays


def numpy_rule(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same rule written by hand: Yichun's parameters inlined, no explanations beyond the criteria."""
    age = DATE.year - a["birth_year"] - ((DATE.month < a["birth_month"]) | ((DATE.month == a["birth_month"]) & (DATE.day < a["birth_day"])))
    criteria = {
        "yichun_hukou": np.char.startswith(a["hukou"], "3609"),
        "age_16_plus": age >= 16,
        "low_income": a["dibao_household"] | a["at_risk_of_poverty"],
        "certificate": np.isin(a["category"], ["physical", "intellectual", "mental"]) & np.isin(a["grade"], [1, 2]),
        "not_tekun": ~a["tekun_supported"],
        "severe_adl": a["adl"].sum(axis=1) >= 4,
    }
    eligible = np.logical_and.reduce(list(criteria.values()))
    institutional = a["service"] == "institutional_care"
    amount = np.where(institutional, 1000.0, 600.0)
    available = a["two_subsidies_month"] + np.where(institutional, a["dibao_month"] + a["elderly_allowance_month"], 0.0)
    integrated = np.minimum(available, amount)
    amount = np.where(eligible, amount, 0.0)
    integrated = np.where(eligible, integrated, 0.0)
    return {"eligible": eligible, "amount": amount, "integrated": integrated, "fallback": amount - integrated, **criteria}


def numpy_baseline(facts: pd.DataFrame) -> dict[str, np.ndarray]:
    return numpy_rule(extract(facts))


CLOCK = [time.process_time]


def timed(function):
    start = CLOCK[0]()
    result = function()
    return CLOCK[0]() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=300, help="rows evaluated one by one through the single-case API")
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    args = parser.parse_args()
    if args.wall:
        CLOCK[0] = time.perf_counter
    facts = applicants(args.rows)
    parameters = default_parameters()
    evaluate_frame("disability_care", facts.iloc[:1000], date=DATE, parameters=parameters)  # warm caches and imports

    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    engine_seconds, result = timed(lambda: evaluate_frame("disability_care", facts, date=DATE, parameters=parameters))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    numpy_seconds, baseline = timed(lambda: numpy_baseline(facts))
    arrays = extract(facts)
    strict_seconds, _ = timed(lambda: numpy_rule(arrays))
    assert (result["eligible"].to_numpy(dtype=bool) == baseline["eligible"]).all(), "eligibility differs"
    assert np.allclose(result["amount"].to_numpy(dtype=float), baseline["amount"]), "amounts differ"
    assert np.allclose(result["fund.integrated"].to_numpy(dtype=float), baseline["integrated"]), "integration differs"
    for name in ("yichun_hukou", "age_16_plus", "low_income", "certificate", "not_tekun", "severe_adl"):
        assert (result[f"crit.{name}"].to_numpy(dtype=bool) == baseline[name]).all(), f"criterion {name} differs"

    sample = facts.drop(columns=["jurisdiction"]).iloc[: args.single]
    records = [{k: (None if pd.isna(v) else (v.date().isoformat() if isinstance(v, pd.Timestamp) else v))
                for k, v in row.items()} for row in sample.to_dict("records")]
    jurisdictions = facts["jurisdiction"].iloc[: args.single].tolist()
    single_seconds, answers = timed(lambda: [
        evaluate("disability_care", record, date=DATE, jurisdiction=code, parameters=parameters)
        for record, code in zip(records, jurisdictions)
    ])
    assert [a["amount"] for a in answers] == list(baseline["amount"][: args.single]), "single-case answers differ"

    engine_rate = args.rows / engine_seconds
    numpy_rate = args.rows / numpy_seconds
    single_rate = args.single / single_seconds
    print(f"disability_care, {args.rows:,} synthetic applicants ({int(result['eligible'].eq(True).sum()):,} eligible):")
    print(f"  engine batch      {engine_seconds:8.2f} s  {engine_rate:12,.0f} rows/s")
    print(f"  numpy baseline    {numpy_seconds:8.2f} s  {numpy_rate:12,.0f} rows/s  (from the same frame)")
    print(f"  numpy rule only   {strict_seconds:8.2f} s  {args.rows / strict_seconds:12,.0f} rows/s  "
          f"(arrays extracted beforehand, for information)")
    print(f"  single-case API   {single_seconds:8.2f} s  {single_rate:12,.0f} rows/s  (on {args.single} rows)")
    print(f"  engine time / numpy time (from the frame): {engine_seconds / numpy_seconds:.2f}x   (target: at most 1.5x)")
    print(f"  engine time / numpy-rule-only time: {engine_seconds / strict_seconds:.2f}x   (the rule alone, on arrays "
          f"read out beforehand; the engine reads and checks its facts from the frame)")
    print(f"  engine rate / single-case rate: {engine_rate / single_rate:,.0f}x   (target: at least 20x)")
    print(f"  peak memory of the process after the engine's batch: {peak_mb:,.0f} MB, before it {before_mb:,.0f} MB "
          f"(generated facts included; target: no more than before, about 512 MB for 1M rows)")
    print(f"  times: {'wall' if args.wall else 'CPU'} time")
    strings = facts["hukou_division_code"].array.__class__.__name__
    print(f"  (text columns arrive as {strings}; pandas {pd.__version__})")


if __name__ == "__main__":
    main()
