"""Capacitated facility location, the model behind the "distance" objective and Beasley's OR-Library cap instances.

Sets: sites i (candidate projects) with fixed cost f_i and capacity s_i; customers j (districts) with demand d_j;
c_ij the cost of serving *all* of customer j's demand from site i (OR-Library convention; for planning,
distance_ij x d_j, i.e. population-weighted distance).

    minimise    sum_i f_i x_i + sum_ij (c_ij / d_j) y_ij
    subject to  sum_i y_ij = d_j                      every customer is served in full
                sum_j y_ij <= s_i x_i                 a site serves only if opened, up to its capacity
                y_ij <= d_j x_i                       (redundant for integers, much tighter LP relaxation)
                sum_i k_i x_i <= budget               optional: capital budget
                x_i in {0,1}, 0 <= y_ij <= d_j        y integer for CP-SAT, continuous for the MIP backend

Demand may be split between sites (the OR-Library capacitated instances allow it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.math_opt.python import mathopt

from allocator.solver import Progress, SolverOptions, SolveStats, solve_model


@dataclass
class FacilityLocationResult:
    opened: list[str]
    assignment: pd.DataFrame  # site, customer, quantity, cost
    stats: SolveStats
    unserved: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # customer -> demand not served

    @property
    def objective(self) -> float | None:
        return self.stats.objective


@dataclass
class CapacitatedFacilityLocation:
    sites: pd.DataFrame  # index site id; columns fixed_cost, capacity, [capital_cost]
    customers: pd.DataFrame  # index customer id; column demand
    cost: np.ndarray  # sites x customers: cost of serving all of customer j from i
    budget: float | None = None
    name: str = "cfl"
    unmet_penalty: float | None = None  # per unit of demand left unserved; None: all demand must be served
    _unmet: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_frames(cls, sites: pd.DataFrame, customers: pd.DataFrame, costs: pd.DataFrame,
                    budget: float | None = None) -> CapacitatedFacilityLocation:
        """``costs`` is long: site, customer, cost (missing pairs cannot be served)."""
        sites = sites.set_index("site") if "site" in sites else sites
        customers = customers.set_index("customer") if "customer" in customers else customers
        matrix = (costs.pivot_table(index="site", columns="customer", values="cost", aggfunc="min")
                  .reindex(index=sites.index, columns=customers.index))
        return cls(sites, customers, matrix.to_numpy(dtype=float), budget)

    @classmethod
    def from_orlib(cls, path: str | Path) -> CapacitatedFacilityLocation:
        """Read a Beasley OR-Library cap file (m n; m lines 'capacity fixed'; per customer: demand, then m costs)."""
        tokens = Path(path).read_text().split()
        m, n = int(tokens[0]), int(tokens[1])
        position = 2
        capacity, fixed = [], []
        for _ in range(m):
            capacity.append(float(tokens[position]))
            fixed.append(float(tokens[position + 1]))
            position += 2
        demand, cost = [], np.empty((m, n))
        for j in range(n):
            demand.append(float(tokens[position]))
            cost[:, j] = [float(t) for t in tokens[position + 1: position + 1 + m]]
            position += 1 + m
        sites = pd.DataFrame({"fixed_cost": fixed, "capacity": capacity}, index=[f"w{i + 1}" for i in range(m)])
        customers = pd.DataFrame({"demand": demand}, index=[f"c{j + 1}" for j in range(n)])
        return cls(sites, customers, cost, name=Path(path).stem)

    def build(self, integer_flows: bool) -> tuple[mathopt.Model, list, dict]:
        model = mathopt.Model(name=self.name)
        demand = self.customers["demand"].to_numpy(dtype=float)
        capacity = self.sites["capacity"].to_numpy(dtype=float)
        fixed = self.sites["fixed_cost"].to_numpy(dtype=float)
        opened = [model.add_binary_variable(name=f"open[{s}]") for s in self.sites.index]
        flows: dict[tuple[int, int], mathopt.Variable] = {}
        for i, j in zip(*np.nonzero(np.isfinite(self.cost))):
            flows[(int(i), int(j))] = model.add_variable(lb=0, ub=demand[j], is_integer=integer_flows, name=f"y[{i},{j}]")
        by_customer: dict[int, list] = {j: [] for j in range(len(demand))}
        by_site: dict[int, list] = {i: [] for i in range(len(capacity))}
        for (i, j), y in flows.items():
            by_customer[j].append(y)
            by_site[i].append(y)
            model.add_linear_constraint(y <= demand[j] * opened[i])
        unmet = {}
        for j, ys in by_customer.items():
            if self.unmet_penalty is not None:
                unmet[j] = model.add_variable(lb=0, ub=demand[j], is_integer=integer_flows, name=f"unmet[{j}]")
                ys = [*ys, unmet[j]]
            model.add_linear_constraint(mathopt.fast_sum(ys) == demand[j], name=f"serve[{j}]")
        for i, ys in by_site.items():
            if ys:
                model.add_linear_constraint(mathopt.fast_sum(ys) <= capacity[i] * opened[i], name=f"capacity[{i}]")
        if self.budget is not None and "capital_cost" in self.sites:
            capital = self.sites["capital_cost"].to_numpy(dtype=float)
            model.add_linear_constraint(mathopt.fast_sum(c * x for c, x in zip(capital, opened)) <= self.budget)
        unit_cost = {key: self.cost[key] / demand[key[1]] if demand[key[1]] else 0.0 for key in flows}
        model.minimize(mathopt.fast_sum(f * x for f, x in zip(fixed, opened))
                       + mathopt.fast_sum(unit_cost[key] * y for key, y in flows.items())
                       + mathopt.fast_sum((self.unmet_penalty or 0) * u for u in unmet.values()))
        self._unmet = unmet
        return model, opened, flows

    def solve(self, options: SolverOptions | None = None,
              on_progress: Callable[[Progress], None] | None = None) -> FacilityLocationResult:
        options = (options or SolverOptions()).resolved("facility")
        model, opened, flows = self.build(integer_flows=options.backend == "cp-sat")
        result, stats = solve_model(model, options, on_progress)
        if not result.has_primal_feasible_solution():
            return FacilityLocationResult([], pd.DataFrame(columns=["site", "customer", "quantity", "cost"]), stats)
        values = result.variable_values()
        chosen = [s for s, x in zip(self.sites.index, opened) if values[x] > 0.5]
        demand = self.customers["demand"].to_numpy(dtype=float)
        rows = [(self.sites.index[i], self.customers.index[j], values[y], self.cost[i, j] * values[y] / demand[j])
                for (i, j), y in flows.items() if values[y] > 1e-6]
        unserved = pd.Series({self.customers.index[j]: values[u] for j, u in self._unmet.items()}, dtype=float)
        return FacilityLocationResult(chosen, pd.DataFrame(rows, columns=["site", "customer", "quantity", "cost"]),
                                      stats, unserved[unserved > 1e-6])


@dataclass
class MaximalCovering:
    """Church & ReVelle's maximal covering location problem: reach the most people within a service radius.

        maximise    sum_j w_j z_j
        subject to  z_j <= a_j + sum_{i : dist_ij <= r} x_i    district j counts as covered if a chosen site
                                                                (or an existing one, a_j = 1) is within r
                    sum_i k_i x_i <= budget
                    x_i, z_j in {0,1}
    """

    sites: pd.DataFrame  # index site; column capital_cost
    demand: pd.DataFrame  # index district; columns weight, covered_already (0/1)
    within: pd.DataFrame  # long: site, district pairs within the radius
    budget: float

    def solve(self, options: SolverOptions | None = None,
              on_progress: Callable[[Progress], None] | None = None) -> tuple[list[str], list[str], SolveStats]:
        options = (options or SolverOptions()).resolved("facility")
        model = mathopt.Model(name="mclp")
        x = {s: model.add_binary_variable(name=f"open[{s}]") for s in self.sites.index}
        z = {d: model.add_binary_variable(name=f"covered[{d}]") for d in self.demand.index}
        reach = self.within.groupby("district")["site"].apply(list).to_dict()
        for d, covered in z.items():
            already = int(self.demand.at[d, "covered_already"])
            model.add_linear_constraint(covered <= already + mathopt.fast_sum(x[s] for s in reach.get(d, []) if s in x))
        model.add_linear_constraint(
            mathopt.fast_sum(int(round(c)) * x[s] for s, c in self.sites["capital_cost"].items()) <= int(self.budget))
        model.maximize(mathopt.fast_sum(int(round(w)) * z[d] for d, w in self.demand["weight"].items()))
        result, stats = solve_model(model, options, on_progress)
        if not result.has_primal_feasible_solution():
            return [], [], stats
        values = result.variable_values()
        return ([s for s, v in x.items() if values[v] > 0.5], [d for d, v in z.items() if values[v] > 0.5], stats)
