"""Synthetic planning instances of realistic shape, for benchmarks and scale tests (seeded, reproducible).

Figures are drawn around Jiujiang's: ~3.6 places and ~58 beds per 1,000 residents / 60+ residents today, 10% of
places inclusive, ~53% nursing beds, costs per place and bed in the range of 附件4's projects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_instance(districts: int, candidates: int, *, seed: int = 0, township: bool = False,
                       budget_share: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """(districts, projects, budget): the budget is ``budget_share`` of the cost of every candidate."""
    rng = np.random.default_rng(seed)
    scale = 30_000 if township else 300_000
    population = np.maximum((rng.lognormal(0, 0.5, districts) * scale).round(), 2000).astype(int)
    aged = (population * rng.uniform(0.12, 0.25, districts)).round().astype(int)
    slots = (population * rng.uniform(2.5, 4.2, districts) / 1000).round().astype(int)
    beds = (aged * rng.uniform(0.035, 0.055, districts)).round().astype(int)
    codes = [f"S{i:05d}" for i in range(districts)]
    frame = pd.DataFrame({
        "division_code": codes,
        "name": [f"区划{i}" for i in range(districts)],
        "population": population,
        "aged_60_plus": aged,
        "under_3": (population * 0.025).round().astype(int),
        "elderly_beds": beds,
        "nursing_beds": (beds * rng.uniform(0.45, 0.6, districts)).round().astype(int),
        "childcare_slots": slots,
        "inclusive_slots": (slots * rng.uniform(0.05, 0.35, districts)).round().astype(int),
        "area": np.where(rng.random(districts) < 0.6, "urban", "rural"),
        "x_km": rng.uniform(0, 300 if not township else 150, districts).round(2),
        "y_km": rng.uniform(0, 300 if not township else 150, districts).round(2),
    })
    if township:
        frame["residential_area"] = rng.choice(["new", "old", None], districts, p=[0.2, 0.3, 0.5])
    home = rng.integers(0, districts, candidates)
    childcare = rng.random(candidates) < 0.5
    capacity = np.where(childcare, rng.integers(2, 21, candidates) * 10, rng.integers(3, 51, candidates) * 10)
    scalable = rng.random(candidates) < 0.2
    per_place = np.where(childcare, rng.uniform(20_000, 60_000, candidates), rng.uniform(50_000, 150_000, candidates))
    capacity_max = np.where(scalable, (capacity * 1.5).round(), capacity).astype(int)
    projects = pd.DataFrame({
        "code": [f"P{i:06d}" for i in range(candidates)],
        "name": [f"候选项目{i}" for i in range(candidates)],
        "division_code": np.array(codes)[home],
        "kind": np.where(childcare, "childcare", "elderly"),
        "construction": rng.choice(["new", "renovation", "expansion"], candidates, p=[0.5, 0.3, 0.2]),
        "capacity": capacity,
        "capacity_max": capacity_max,
        "nursing_share": np.where(childcare, None, rng.choice([0.4, 0.6, 0.8, 1.0], candidates)),
        "inclusive": np.where(childcare, rng.random(candidates) < 0.5, False),
        "ownership": rng.choice(["public", "private"], candidates, p=[0.4, 0.6]),
        "cost": (per_place * capacity_max).round(-3),
        "earliest_year": rng.choice([2023, 2024, 2025], candidates, p=[0.5, 0.3, 0.2]),
        "x_km": (frame["x_km"].to_numpy()[home] + rng.normal(0, 2, candidates)).round(2),
        "y_km": (frame["y_km"].to_numpy()[home] + rng.normal(0, 2, candidates)).round(2),
    })
    budget = float(projects["cost"].sum() * budget_share)
    return frame, projects, budget


# Targets for synthetic instances: the per-district ones (the city-wide bed count is Jiujiang's own figure).
SYNTHETIC_TARGETS = ("childcare_slots_per_1000", "childcare_inclusive_share", "elderly_nursing_share",
                     "new_residential_slots_per_1000", "old_residential_slots_per_1000")


def synthetic_townships(counties: int, townships: int, candidates: int, *, seed: int = 0,
                        budget_share: float = 0.15) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """A township-level province: ``townships`` units in ``counties`` counties (a third of them streets), with
    communities, villages and what covers them today around Jiujiang's base rates, and candidates of every facility
    type — most naming their township, a tenth only their county. Returns (districts, projects, budget)."""
    rng = np.random.default_rng(seed)
    districts, projects, _ = synthetic_instance(townships, candidates, seed=seed, township=True,
                                                budget_share=budget_share)
    county_codes = np.array([f"{360000 + 100 * (i // 99) + 1 + i % 99:06d}" for i in range(counties)])
    county = county_codes[np.sort(rng.integers(0, counties, townships))]
    county[:counties] = county_codes  # every county has a township
    order = np.argsort(county, kind="stable")
    county = county[order]
    number = pd.Series(county).groupby(county).cumcount().to_numpy() + 1
    codes = [f"{c}{n:03d}" for c, n in zip(county, number)]
    street = rng.random(townships) < 1 / 3
    rename = dict(zip(districts["division_code"], codes))
    districts = districts.assign(
        division_code=codes, county_code=county, township_kind=np.where(street, "street", "town"),
        name=[f"乡镇{i}{'街道' if s else '镇'}" for i, s in enumerate(street)])
    districts["communities"] = np.where(street, rng.integers(3, 10, townships), rng.integers(0, 3, townships))
    districts["villages"] = np.where(street, 0, rng.integers(4, 16, townships))
    for column, of, rate in (("communities_elderly_covered", "communities", 0.9),
                             ("villages_mutual_aid_covered", "villages", 0.74),
                             ("communities_childcare_covered", "communities", 0.25)):
        districts[column] = rng.binomial(districts[of].to_numpy(), rate)
    districts["streets_covered"] = street & (rng.random(townships) < 0.84)
    districts["private_operated_beds"] = (districts["elderly_beds"] * 0.2).round().astype(int)
    districts["adapted_households"] = rng.integers(0, 10, townships)
    projects["division_code"] = projects["division_code"].map(rename)
    at_county = rng.random(candidates) < 0.1
    projects.loc[at_county, "division_code"] = projects.loc[at_county, "division_code"].str[:6]
    elderly = projects["kind"] == "elderly"
    projects["facility_type"] = np.where(
        elderly, rng.choice(["institution", "comprehensive_institution", "community_care", "rural_mutual_aid"],
                            candidates, p=[0.4, 0.2, 0.2, 0.2]),
        rng.choice(["childcare_institution", "community_childcare"], candidates, p=[0.7, 0.3]))
    projects["covers"] = np.where(projects["facility_type"].isin(["community_care", "rural_mutual_aid",
                                                                  "community_childcare"]),
                                  rng.integers(1, 4, candidates), 1)
    projects["sites"] = projects["covers"]
    budget = float(projects["cost"].sum() * budget_share)
    return districts.reset_index(drop=True), projects, budget


# Targets for a synthetic province: all but Jiujiang's absolute city-wide figures (beds, places, 380 facilities,
# the one guidance centre), which mean nothing for a province of another size.
SYNTHETIC_TOWNSHIP_TARGETS = ("childcare_slots_per_1000", "childcare_inclusive_share", "elderly_nursing_share",
                              "home_community_care_coverage", "rural_mutual_aid_coverage",
                              "urban_community_care_coverage", "street_institution_coverage",
                              "community_childcare_coverage", "county_public_childcare_institution",
                              "private_operated_bed_share", "home_adaptation_households", "home_adaptation_per_year")
