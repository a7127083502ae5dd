"""disability_care over a million synthetic applicants: the engine against hand-written numpy and one-by-one.

Prints rows per second for:
- the engine's batch API (eligibility, per-criterion results, amount, funding split), on typed columns;
- a hand-written numpy expression of the same rule with Yichun's parameters inlined (the baseline);
- the single-case API, row by row, on a sample (its rate is extrapolated).
and the ratios. Targets (issue 3): batch within 2x of numpy; batch at least 20x the single-case rate.
The engine's and the baseline's answers must agree on every row, or the script fails.

    python bench/rules_throughput.py [--rows 1000000] [--single 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
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


def numpy_baseline(facts: pd.DataFrame) -> dict[str, np.ndarray]:
    """The same rule written by hand: Yichun's parameters inlined, no explanations beyond the criteria."""
    birth = facts["birth_date"]
    age = DATE.year - birth.dt.year.to_numpy() - (
        (DATE.month < birth.dt.month.to_numpy()) | ((DATE.month == birth.dt.month.to_numpy()) & (DATE.day < birth.dt.day.to_numpy()))
    )
    category = facts["disability_category"].to_numpy(dtype=object)
    grade = facts["disability_grade"].to_numpy(dtype="float64", na_value=np.nan)
    criteria = {
        "yichun_hukou": np.char.startswith(facts["hukou_division_code"].to_numpy(dtype=str), "3609"),
        "age_16_plus": age >= 16,
        "low_income": facts["dibao_household"].to_numpy() | facts["at_risk_of_poverty"].to_numpy(),
        "certificate": np.isin(category, ["physical", "intellectual", "mental"]) & np.isin(grade, [1, 2]),
        "not_tekun": ~facts["tekun_supported"].to_numpy(),
        "severe_adl": facts[ADL].to_numpy().sum(axis=1) >= 4,
    }
    eligible = np.logical_and.reduce(list(criteria.values()))
    service = facts["requested_service"].to_numpy(dtype=object)
    institutional = service == "institutional_care"
    amount = np.where(institutional, 1000.0, 600.0)
    available = facts["two_subsidies_month"].to_numpy() + np.where(
        institutional, facts["dibao_month"].to_numpy() + facts["elderly_allowance_month"].to_numpy(), 0.0)
    integrated = np.minimum(available, amount)
    amount = np.where(eligible, amount, 0.0)
    integrated = np.where(eligible, integrated, 0.0)
    return {"eligible": eligible, "amount": amount, "integrated": integrated, "fallback": amount - integrated, **criteria}


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=300, help="rows evaluated one by one through the single-case API")
    args = parser.parse_args()
    facts = applicants(args.rows)
    parameters = default_parameters()
    evaluate_frame("disability_care", facts.iloc[:1000], date=DATE, parameters=parameters)  # warm caches and imports

    engine_seconds, result = timed(lambda: evaluate_frame("disability_care", facts, date=DATE, parameters=parameters))
    numpy_seconds, baseline = timed(lambda: numpy_baseline(facts))
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
    print(f"  numpy baseline    {numpy_seconds:8.2f} s  {numpy_rate:12,.0f} rows/s")
    print(f"  single-case API   {single_seconds:8.2f} s  {single_rate:12,.0f} rows/s  (on {args.single} rows)")
    print(f"  engine time / numpy time: {engine_seconds / numpy_seconds:.2f}x   (target: at most 2x)")
    print(f"  engine rate / single-case rate: {engine_rate / single_rate:,.0f}x   (target: at least 20x)")


if __name__ == "__main__":
    main()
