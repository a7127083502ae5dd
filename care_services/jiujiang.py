"""Readings of the Jiujiang sample shared by the planning and budget tools (九府办字[2022]113号 附件4, census 2020).

- central city (中心城区): the three municipal districts 濂溪区、浔阳区、柴桑区 (assumption; the document does not
  list them);
- urban or rural: a county is urban when at least half its residents live in towns (census urban population);
- ownership left blank in the elderly list is public in sections (一)-(四) (welfare homes, township homes, embedded
  and community facilities) and private in section (五) 市场化养老项目;
- completion: the end of the construction period as written; a year alone means its December.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from care_services.store import read_sample

CITY = "360400"
CENTRAL_CITY = ("360402", "360403", "360404")


def records(entity: str, filename: str) -> pd.DataFrame:
    return pd.DataFrame(read_sample(entity, filename).records)


def county_areas() -> pd.Series:
    """division code → urban / rural for Jiujiang's counties."""
    population = records("population", "population_2020.csv")
    population = population[population["division_code"].str.startswith("3604")]
    return pd.Series(np.where(population["urban"] * 2 >= population["total"], "urban", "rural"),
                     index=population["division_code"])


def project_list() -> pd.DataFrame:
    """附件4 with ownership read as above and the completion month (YYYY-MM)."""
    projects = records("projects", "projects_jiujiang.csv")
    ownership = projects["ownership"].copy()
    elderly_blank = (projects["kind"] == "elderly") & ownership.isna()
    market = projects["list_section"].str.contains("市场化", na=False)
    projects["ownership"] = ownership.mask(elderly_blank & market, "private").mask(elderly_blank & ~market, "public")
    end = projects["end"].fillna(projects["start"])
    projects["completion"] = end.where(end.str.len() > 4, end + "-12").str[:7]
    return projects
