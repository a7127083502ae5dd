"""Planning units and what each target counts on them, shared by the model (allocator/planning.py) and the
tables that report it, so the solver and the explanation count alike.

Units: the rows of the districts table (counties, or township-level units with their county), the counties
(groups of township rows; in a county table a county is its row) and the city (全市). A project counts for the
row it names, the county of that row (or the county it names, when a township table's project names only its
county), and the city; a 管委会 zone project (no code) for the city only.

Coverage (LAYERS): a row has n sub-units (communities, villages; a street is one sub-unit of itself), c covered
already. A project covers k of them (its 覆盖社区（村）数; 1 for a street): in its own row, in every row within the
service radius (streets, when coordinates are given), or — named by county only — any rows of its county (the
county pool). What a plan covers: per row min(n - c, own), then the pool fills the rows' remaining gaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from allocator.sample import largest_remainder
from allocator.targets import LAYERS, Target

CITY_WIDE = "全市"
# district supply columns: (all places or beds, the qualifying ones: nursing beds / 普惠 places)
SUPPLY_COLUMNS = {"elderly": ("elderly_beds", "nursing_beds"), "childcare": ("childcare_slots", "inclusive_slots")}
QUALIFYING_EXISTING = {"nursing": "nursing_beds", "inclusive": "inclusive_slots", "private": "private_operated_beds"}
# plan columns of what a built project adds: places/beds, and each kind of qualifying ones
QUALIFYING_ADDED = {"nursing": "nursing_beds", "inclusive": "inclusive_places", "private": "private_beds"}
FLOOR_SPACE_TYPES = ("community_care", "comprehensive_institution", "rural_mutual_aid")


def as_fraction(value: float, limit: int = 10_000) -> Fraction:
    """A share such as 0.6 as an exact ratio 3/5, so share constraints have integer coefficients."""
    return Fraction(str(value)).limit_denominator(limit)


def share_required(share: Fraction, total: int, strict: bool) -> int:
    """Qualifying places/beds needed among ``total``: at least share·total, or more than it when strict (超过)."""
    return math.floor(share * total) + 1 if strict else math.ceil(share * total)


def counts_for(spec, projects: pd.DataFrame) -> pd.Series:
    """Which projects a count target counts (their sites): the named facility types, or public/inclusive childcare."""
    if spec.facility_types:
        return projects["facility_type"].isin(spec.facility_types)
    return (projects["kind"] == "childcare") & ((projects["ownership"] == "public") | projects["inclusive"].astype(bool))


@dataclass
class _TargetRow:
    target: Target
    unit: str  # a row code, a county code or CITY_WIDE
    required: int | None  # count to reach (everything but shares)
    share: Fraction | None  # for share targets


class Units:
    """The units of one problem: which rows each covers, their existing figures, and the projects counting there."""

    def __init__(self, districts: pd.DataFrame, projects: pd.DataFrame, radius_km: float | None = None):
        self.districts, self.projects = districts, projects
        d = districts
        self.rows = list(d.index)
        self.county_of_row = d["county_code"].astype(str)
        self.counties = list(dict.fromkeys(self.county_of_row))
        self.township_level = any(c not in d.index for c in self.counties)
        rows_of = {c: [] for c in self.counties}
        for row, county in self.county_of_row.items():
            rows_of[county].append(row)
        self.rows_of = {**{r: [r] for r in self.rows}, **rows_of, CITY_WIDE: self.rows}
        # positions for the column-wise sums of by_unit, covered and _rolled (pandas groupby per call is slow)
        self._row_index, self._county_index = pd.Index(self.rows), pd.Index(self.counties)
        self._county_of_position = self._county_index.get_indexer(self.county_of_row.to_numpy())
        self._rows_at = {c: self._row_index.get_indexer(r) for c, r in rows_of.items()}
        county = projects["division_code"].map(self.county_of_row)
        projects["county"] = county.where(county.notna(), projects["division_code"].where(
            projects["division_code"].isin(self.counties)))
        # projects that name a county of a township table (not a row): they serve the county pool
        projects["at_county_only"] = projects["division_code"].isin(self.counties) & ~projects["division_code"].isin(d.index)
        self.members = {}
        for kind, group in projects.groupby("kind"):
            self.members[(CITY_WIDE, kind)] = group.index
            for code, positions in group.groupby("division_code").groups.items():
                if code in d.index:
                    self.members[(code, kind)] = positions
            for code, positions in group.groupby("county").groups.items():
                self.members[(code, kind)] = positions  # a county of a county table is its own row: the same set
        self.serves = self._serving(radius_km)
        self._gap = {layer: self.gap(layer).to_numpy() for layer in LAYERS}
        self._direct_at = {layer: (direct["position"].to_numpy(int), self._row_index.get_indexer(direct["row"]),
                                   direct["k"].to_numpy(int)) for layer, (direct, _) in self.serves.items()}
        self._existing: dict[str, dict[str, float]] = {}
        self._subunits = {layer: self._rolled(d[LAYERS[layer][0]].astype(int)) for layer in LAYERS}

    def of(self, unit: str, kind: str) -> pd.Index:
        return self.members.get((unit, kind), pd.Index([], dtype=int))

    def total(self, unit: str, column: str) -> int:
        return int(self.existing(column)[unit])

    def county_of(self, unit: str) -> str | None:
        """The county a unit lies in (None for the city)."""
        if unit == CITY_WIDE:
            return None
        return unit if unit in self.rows_of and unit not in self.districts.index else self.county_of_row[unit]

    def counties_in(self, unit: str) -> list[str]:
        return self.counties if unit == CITY_WIDE else [self.county_of(unit)]

    # -------------------------------------------------------------------------------------- coverage

    def gap(self, layer: str) -> pd.Series:
        """Sub-units of each row still to cover in a layer."""
        n, c, _ = LAYERS[layer]
        return (self.districts[n] - self.districts[c]).clip(lower=0).astype(int)

    def _serving(self, radius_km: float | None) -> dict[str, pd.DataFrame]:
        """Per layer: (position, row, k) for projects serving rows directly, and (position, county, k) for pools."""
        p, d = self.projects, self.districts
        out = {}
        for layer, (n, _, types) in LAYERS.items():
            of_type = p[p["facility_type"].isin(types)]
            k = 1 if n == "streets" else None
            covers = of_type["covers"].astype(int) if k is None else pd.Series(1, index=of_type.index)
            own = of_type[of_type["division_code"].isin(d.index)]
            direct = pd.DataFrame({"position": own.index, "row": own["division_code"].to_numpy(),
                                   "k": covers[own.index].to_numpy()})
            if k == 1 and radius_km is not None and d[["x_km", "y_km"]].notna().all(axis=None):
                located = of_type[of_type[["x_km", "y_km"]].notna().all(axis=1)]
                if len(located):
                    distance = np.hypot(located["x_km"].to_numpy(float)[:, None] - d["x_km"].to_numpy(float)[None, :],
                                        located["y_km"].to_numpy(float)[:, None] - d["y_km"].to_numpy(float)[None, :])
                    near = np.argwhere(distance <= radius_km)
                    direct = pd.concat([direct, pd.DataFrame({"position": located.index[near[:, 0]],
                                                              "row": d.index[near[:, 1]], "k": 1})])
                    direct = direct.drop_duplicates(["position", "row"])
            pooled = of_type[of_type["at_county_only"]]
            out[layer] = (direct.reset_index(drop=True),
                          pd.DataFrame({"position": pooled.index, "county": pooled["division_code"].to_numpy(),
                                        "k": covers[pooled.index].to_numpy()}))
        return out

    def crosses_counties(self) -> bool:
        """Does a project serve a row of another county (radius coverage)? Then counties cannot be solved alone."""
        for direct, _ in self.serves.values():
            if len(direct) and (self.projects.loc[direct["position"], "county"].to_numpy()
                                != self.county_of_row[direct["row"]].to_numpy()).any():
                return True
        return False

    def covered(self, layer: str, built: pd.DataFrame) -> pd.Series:
        """Sub-units of each row covered (existing included) once the projects of ``built`` (by position) stand."""
        n, c, _ = LAYERS[layer]
        gap = self._gap[layer]
        positions, rows, k = self._direct_at[layer]
        standing = np.isin(positions, built.index.to_numpy())
        own = np.bincount(rows[standing], weights=k[standing], minlength=len(self.rows)).astype(int)
        new = np.minimum(gap, own)
        _, pooled = self.serves[layer]
        pool = pooled[pooled["position"].isin(built.index)].groupby("county")["k"].sum()
        for county, amount in pool.items():
            for at in self._rows_at.get(county, ()):
                take = min(int(gap[at] - new[at]), int(amount))
                new[at] += take
                amount -= take
                if amount <= 0:
                    break
        return pd.Series(self.districts[c].to_numpy(int) + new, index=self.districts.index)

    # ------------------------------------------------------------------------------------- target rows

    def target_rows(self, targets: list[Target]) -> list[_TargetRow]:
        rows = []
        d = self.districts
        aged = pd.Series({c: self.total(c, "aged_60_plus") for c in self.counties})
        for target in targets:
            spec = target.spec
            if spec.scope == "aggregate":
                units = [CITY_WIDE]
            elif spec.scope in ("each_county", "proportional"):
                units = list(self.counties)
            else:
                chosen = d if spec.residential_area is None else d[d["residential_area"] == spec.residential_area]
                units = list(chosen.index)
            proportional = (largest_remainder(int(target.value), aged.clip(lower=0))
                            if spec.scope == "proportional" and aged.sum() > 0 else None)
            for unit in units:
                if spec.measure == "share":
                    rows.append(_TargetRow(target, unit, None, as_fraction(target.value)))
                    continue
                if spec.measure == "per_1000":
                    need = math.ceil(as_fraction(target.value) * self.total(unit, "population") / 1000)
                elif spec.measure == "coverage":
                    subunits = sum(self.total(unit, LAYERS[layer][0]) for layer in spec.layers)
                    if subunits == 0:
                        continue  # nothing to cover here: the indicator is reported as not applicable
                    need = math.ceil(as_fraction(target.value) * subunits)
                elif spec.measure == "floor_space":
                    households = self.total(unit, "households")
                    if households == 0:
                        continue
                    need = math.ceil(as_fraction(target.value) * households / 100)
                elif proportional is not None:
                    need = int(proportional[unit])
                else:
                    need = math.ceil(target.value)
                rows.append(_TargetRow(target, unit, need, None))
        return rows

    # ----------------------------------------------------------------------------------- evaluation

    def by_unit(self, built: pd.DataFrame, column: str | pd.Series) -> dict[str, float]:
        """A plan column (or a Series on the plan's index) summed per row, county and the city."""
        values = np.nan_to_num((built[column] if isinstance(column, str) else column).to_numpy(dtype=float))
        out = dict(zip(self.rows, self._sum_at(self._row_index.get_indexer(built["division_code"]), values,
                                               len(self.rows))))
        out.update(zip(self.counties, self._sum_at(self._county_index.get_indexer(built["county"]), values,
                                                   len(self.counties))))
        out[CITY_WIDE] = float(values.sum())
        return out

    @staticmethod
    def _sum_at(at: np.ndarray, values: np.ndarray, size: int) -> list[float]:
        """values summed per position ``at`` (-1: counted nowhere)."""
        known = at >= 0
        return np.bincount(at[known], weights=values[known], minlength=size).tolist()

    def existing(self, column: str) -> dict[str, float]:
        if column not in self._existing:
            self._existing[column] = self._rolled(self.districts[column])
        return self._existing[column]

    def evaluate(self, plan: pd.DataFrame, adaptation: pd.DataFrame, year: int, specs) -> dict[str, dict[str, float]]:
        """Every figure the targets read, per unit, at the end of ``year``: ``plan`` carries the projects' positions
        as its index; ``adaptation`` the homes adapted per county and year."""
        built = plan[plan["year"] <= year]
        out: dict[str, dict[str, float]] = {}

        def add(name: str, existing: dict | None, added: dict | None) -> None:
            keys = existing or added
            out[name] = {u: (existing or {}).get(u, 0.0) + (added or {}).get(u, 0.0) for u in keys}

        for kind, (total, _) in SUPPLY_COLUMNS.items():
            of_kind = built[built["kind"] == kind]
            add(total, self.existing(total), self.by_unit(of_kind, "capacity"))
            add(f"added.{kind}", None, self.by_unit(of_kind, "capacity"))
        for name, column in QUALIFYING_EXISTING.items():
            add(f"qualifying.{name}", self.existing(column), self.by_unit(built, QUALIFYING_ADDED[name]))
        add("population", self.existing("population"), None)
        for layer in LAYERS:
            covered = self.covered(layer, built)
            out[f"covered.{layer}"] = self._rolled(covered)
            out[f"subunits.{layer}"] = self._subunits[layer]
        for spec in specs:
            if spec.measure == "count":
                existing = self.existing(spec.existing_column) if spec.existing_column else None
                add(f"count.{spec.id}", existing, self.by_unit(built, built["sites"].where(counts_for(spec, built), 0)))
        floor = built["floor_area"].where(built["facility_type"].isin(FLOOR_SPACE_TYPES), 0.0).round()
        add("floor_space", self.existing("elderly_floor_space"), self.by_unit(built, floor))
        done = adaptation[adaptation["year"] <= year].groupby("county")["households"].sum()
        this_year = adaptation[adaptation["year"] == year]["households"].sum()
        base = self.existing("adapted_households")
        out["households"] = {u: base[u] + (float(done.sum()) if u == CITY_WIDE else float(done.get(
            self.county_of(u), 0)) if u in self.counties else 0.0) for u in base}
        out["households_in_year"] = {CITY_WIDE: float(this_year)}
        return out

    def _rolled(self, per_row: pd.Series) -> dict[str, float]:
        """Row figures with their county sums and the city's."""
        values = per_row.to_numpy(dtype=float)
        out = dict(zip(self.rows, values.tolist()))
        summed = np.nan_to_num(values)  # as pandas sums: missing figures count as none
        out.update(zip(self.counties, self._sum_at(self._county_of_position, summed, len(self.counties))))
        out[CITY_WIDE] = float(summed.sum())
        return out


def achieved(row: _TargetRow, figures: dict[str, dict[str, float]]) -> tuple[int, int, float | None]:
    """(required, achieved, shown) of a target row from ``Units.evaluate``'s figures: the shortfall is
    required - achieved; ``shown`` is the figure people read (a rate, places per 1,000, a count)."""
    spec, unit = row.target.spec, row.unit
    if spec.measure == "share":
        total = int(figures[SUPPLY_COLUMNS[spec.kind][0]][unit])
        good = int(figures[f"qualifying.{spec.qualifying}"][unit])
        return share_required(row.share, total, spec.strict), good, (good / total if total else None)
    if spec.measure in ("per_1000", "total"):
        places = int(figures[SUPPLY_COLUMNS[spec.kind][0]][unit])
        population = figures["population"][unit]
        shown = places if spec.measure == "total" else places * 1000 / max(population, 1)
        return row.required, places, shown
    if spec.measure == "added":
        added = int(figures[f"added.{spec.kind}"][unit])
        return row.required, added, added
    if spec.measure == "coverage":
        covered = sum(int(figures[f"covered.{layer}"][unit]) for layer in spec.layers)
        subunits = sum(int(figures[f"subunits.{layer}"][unit]) for layer in spec.layers)
        return row.required, covered, (covered / subunits if subunits else None)
    if spec.measure == "count":
        count = int(figures[f"count.{spec.id}"][unit])
        return row.required, count, count
    if spec.measure == "floor_space":
        area = int(round(figures["floor_space"][unit]))
        return row.required, area, area
    if spec.measure == "households":
        done = int(figures["households"][unit])
        return row.required, done, done
    if spec.measure == "households_per_year":
        done = int(figures["households_in_year"][CITY_WIDE])
        return row.required, done, done
    raise AssertionError(spec.measure)
