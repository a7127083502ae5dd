"""Properties that hold for every input, checked with hypothesis on whole batches (one engine call per example)."""

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subsidy_rules.engine import all_schemes, evaluate, evaluate_frame, falsity, get_scheme

# Each example runs the engine; a few dozen batches of random cases are enough to find what breaks.
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DATE = dt.date(2024, 6, 1)


def value_strategy(spec):
    """Any valid value of a fact, or missing."""
    if spec.choices:
        base = st.sampled_from(list(spec.choices))
    elif spec.kind == "boolean":
        base = st.booleans()
    elif spec.kind == "integer":
        base = st.integers(min_value=int(spec.minimum or 0), max_value=2000)
    elif spec.kind == "number":
        base = st.floats(min_value=spec.minimum or 0, max_value=300_000, allow_nan=False).map(lambda x: round(x, 2))
    elif spec.kind == "date":
        base = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2024, 6, 1)).map(dt.date.isoformat)
    else:
        base = st.sampled_from(["360902", "360921", "360402", "110105"])
    return st.one_of(st.none(), base)


def cases(scheme_id, size=25):
    scheme = get_scheme(scheme_id)
    row = st.fixed_dictionaries({spec.key: value_strategy(spec) for spec in scheme.facts})
    return st.lists(row, min_size=1, max_size=size)


JURISDICTIONS = st.sampled_from(["360402", "360403", "360424", "360902", "360921"])


def check_invariants(scheme_id, rows, jurisdiction):
    frame = pd.DataFrame(rows)
    result = evaluate_frame(scheme_id, frame, date=DATE, jurisdiction=jurisdiction)
    for position in range(len(result)):
        out = result.iloc[position]
        if falsity(out["eligible"]):
            assert out["amount"] == 0, "ineligible means amount 0"
        if not pd.isna(out["amount"]):
            assert out["amount"] >= 0
            parts = [out[c] for c in result.columns if c.startswith("fund.") and c not in ("fund.integrated", "fund.finance_fallback")]
            if parts and all(not pd.isna(p) for p in parts):
                assert abs(sum(parts) - out["amount"]) < 0.01, "funding levels add up to the amount"
            if "fund.integrated" in result:
                assert abs(out["fund.integrated"] + out["fund.finance_fallback"] - out["amount"]) < 0.01
                assert 0 <= out["fund.integrated"] <= out["amount"]
    return result


@SETTINGS
@given(st.data())
def test_every_scheme_ineligible_means_zero_and_parts_add_up(data):
    for scheme in all_schemes():
        rows = data.draw(cases(scheme.id, 8), label=scheme.id)
        check_invariants(scheme.id, rows, data.draw(JURISDICTIONS))


@SETTINGS
@given(cases("elderly_institution_construction"), JURISDICTIONS)
def test_city_top_up_never_exceeds_its_caps(rows, jurisdiction):
    result = check_invariants("elderly_institution_construction", rows, jurisdiction)
    assert (result["fund.city"].fillna(0) <= 750_000 + 1_250_000).all()
    assert (result["x.city_ordinary"].fillna(0) <= result["x.city_cap_ordinary"].fillna(750_000)).all()
    assert (result["x.city_nursing"].fillna(0) <= result["x.city_cap_nursing"].fillna(1_250_000)).all()


BUILT = dict(ownership="private_non_profit", built_to_standard=True, in_central_city=True, opened_on="2020-01-01")


@SETTINGS
@given(st.integers(0, 1500), st.integers(0, 1500), st.integers(1, 300), st.sampled_from(["self_built", "rented"]),
       st.sampled_from(["ordinary_beds", "nursing_beds"]))
def test_construction_amount_is_monotone_in_beds(ordinary, nursing, more, premises, which):
    facts = BUILT | dict(premises=premises, lease_years=8, ordinary_beds=ordinary, nursing_beds=nursing)
    grown = facts | {which: facts[which] + more}
    frame = pd.DataFrame([facts, grown])
    amounts = evaluate_frame("elderly_institution_construction", frame, date=DATE, jurisdiction="360402")["amount"]
    assert amounts.iloc[1] >= amounts.iloc[0]


@SETTINGS
@given(st.integers(0, 5000), st.integers(1, 500), st.sampled_from(["urban", "rural"]),
       st.sampled_from(["new", "renovation", "expansion", "renovation_expansion"]))
def test_childcare_construction_is_monotone_in_places(slots, more, area, construction):
    base = dict(in_planning_or_construction=True, area=area, construction=construction)
    frame = pd.DataFrame([base | dict(slots_added=slots), base | dict(slots_added=slots + more)])
    amounts = evaluate_frame("childcare_construction", frame, date=DATE, jurisdiction="360430")["amount"]
    assert amounts.iloc[1] > amounts.iloc[0]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_single_case_api_is_the_batch_on_one_row(data):
    for scheme in all_schemes():
        rows = data.draw(cases(scheme.id, 4), label=scheme.id)
        jurisdiction = data.draw(JURISDICTIONS)
        batch = evaluate_frame(scheme.id, pd.DataFrame(rows), date=DATE, jurisdiction=jurisdiction)
        for position, row in enumerate(rows):
            single = evaluate(scheme.id, row, date=DATE, jurisdiction=jurisdiction)
            expected_eligible = batch["eligible"].iloc[position]
            assert single["eligible"] == (None if pd.isna(expected_eligible) else bool(expected_eligible))
            expected_amount = batch["amount"].iloc[position]
            assert single["amount"] == (None if pd.isna(expected_amount) else float(expected_amount))
