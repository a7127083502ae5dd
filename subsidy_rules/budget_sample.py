"""Inputs for a projection out of the bundled data: the Jiujiang pipeline (附件4) and a synthetic caseload.

The pipeline's facts beyond what 附件4 states are planning assumptions, each named here:
- built to standard, self-built premises (附件4 lists construction projects, not leases);
- nursing beds: the share of planning_targets.project_nursing_share_default (60%, 附件2 政策清单 第1项);
- a public nursery is inclusive (普惠) and government-invested; a private one is neither unless stated;
- residents of new homes have local hukou and are not government-supported (so 第14项 applies in the central city);
- fees are not in 附件4, so childcare operation subsidies of the pipeline come out as undetermined until the
  projects file gives monthly_fee, local_inclusive_price and market_average_fee.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from care_services.identifiers import DISABILITY_CATEGORY_CODES
from care_services.jiujiang import CENTRAL_CITY, county_areas, project_list
from care_services.synthetic import generate_people
from subsidy_rules.parameters import ParameterSet, default_parameters


def jiujiang_pipeline(parameters: ParameterSet | None = None) -> pd.DataFrame:
    parameters = parameters or default_parameters()
    projects = project_list()
    projects = projects[projects["capacity_added"].notna() & projects["division_code"].notna()]
    share = float(parameters.get("planning_targets.project_nursing_share_default", "360400", dt.date(2025, 12, 31)))
    capacity = projects["capacity_added"].astype(int)
    nursing = np.where(projects["kind"] == "elderly", np.round(capacity * share), 0).astype(int)
    public = projects["ownership"] == "public"
    return pd.DataFrame({
        "code": projects["code"], "kind": projects["kind"], "division_code": projects["division_code"],
        "completion": projects["completion"], "capacity": capacity,
        "construction": projects["construction"], "ownership": projects["ownership"], "premises": "self_built",
        "built_to_standard": True, "in_central_city": projects["division_code"].isin(CENTRAL_CITY),
        "ordinary_beds": capacity - nursing, "nursing_beds": nursing,
        "resident_local_hukou": True, "government_supported": False,
        "area": projects["division_code"].map(county_areas()), "in_planning_or_construction": True,
        "government_or_joint_investment": public, "inclusive": public,
    }).reset_index(drop=True)


def disability_caseload(people: pd.DataFrame, start: list[str | None] | str,
                        end: list[str | None] | str | None = None) -> pd.DataFrame:
    """People (the database's people table, or synthetic ones) as disability_care recipients from ``start``.

    Birth date, disability category and grade are read from the ID and certificate numbers (GB 11643; the
    certificate's 19th and 20th characters)."""
    certificate = people["disability_certificate_number"].fillna("").astype(str)
    n = len(people)
    starts = [start] * n if isinstance(start, str) else list(start)
    ends = [end] * n if end is None or isinstance(end, str) else list(end)
    return pd.DataFrame({
        "scheme": "disability_care", "jurisdiction": people["hukou_division_code"].astype(str).to_numpy(),
        "start": starts, "end": ends,
        "hukou_division_code": people["hukou_division_code"].astype(str).to_numpy(),
        "birth_date": pd.to_datetime(people["id_number"].astype(str).str[6:14], format="%Y%m%d").to_numpy(),
        "dibao_household": people["dibao_household"].to_numpy(), "at_risk_of_poverty": people["at_risk_of_poverty"].to_numpy(),
        "tekun_supported": people["tekun_supported"].to_numpy(),
        "has_disability_certificate": (certificate.str.len() == 20).to_numpy(),
        "disability_category": certificate.str[18].map(DISABILITY_CATEGORY_CODES).to_numpy(),
        "disability_grade": pd.to_numeric(certificate.str[19], errors="coerce").astype("Int64").to_numpy(),
        **{c: people[c].to_numpy() for c in ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting",
                                             "adl_walking_indoors", "adl_bathing", "requested_service")},
    })


def synthetic_caseload(n: int, seed: int = 1, first_year: int = 2023, last_year: int = 2025) -> pd.DataFrame:
    """``n`` synthetic Yichun applicants as disability_care recipients starting between the two years; one in five
    leaves before the end of the horizon (death, moving away)."""
    people = generate_people(n, seed=seed)
    rng = np.random.default_rng(seed)
    months = (last_year - first_year + 1) * 12
    start = first_year * 12 + rng.integers(0, months, n)
    end = np.where(rng.random(n) < 0.2, start + rng.integers(1, 36, n), -1)

    def label(m: int) -> str | None:
        return None if m < 0 else f"{m // 12:04d}-{m % 12 + 1:02d}"
    cases = disability_caseload(people, [label(m) for m in start], [label(m) for m in end])
    return cases.assign(approved_on=pd.to_datetime([dt.date(m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)
                                                    for m in start]))
