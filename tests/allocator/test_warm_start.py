"""The path of large models (relax and fix, then the second phase in the first's neighbourhood), checked on a
small instance against the exact lexicographic optimum of the same model."""

import pytest

from allocator.planning import PlacementProblem
from allocator.solver import SolverOptions, fixed_search
from allocator.synthetic import SYNTHETIC_TOWNSHIP_TARGETS, synthetic_townships


def problem():
    districts, projects, budget = synthetic_townships(3, 24, 160, seed=5, budget_share=0.03)
    return PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=budget,
                                        only_targets=SYNTHETIC_TOWNSHIP_TARGETS), budget


def weighted_shortfall(result):
    return (result.targets["shortfall"] * result.targets["weight"]).sum()


@pytest.mark.parametrize("backend", ["highs", "cp-sat"])
def test_relax_and_fix_plans_are_bounded_by_the_exact_optimum_and_keep_their_shortfall(backend, monkeypatch):
    exact_problem, budget = problem()
    exact = exact_problem.solve("shortfall", SolverOptions(backend, 120))
    assert exact.status == "optimal"
    optimum = exact.phases[0][1].objective
    monkeypatch.setattr(PlacementProblem, "WARM_START_FROM", 0)  # every model takes the large models' path
    large, _ = problem()
    result = large.solve("shortfall", SolverOptions(backend, 120, relative_gap=0.05))
    first, second = (stats for _, stats in result.phases)
    assert first.bound <= optimum + 1e-6 <= first.objective + 1e-6  # a valid bound, a plan no better than the best
    assert first.gap <= 0.05
    # the second phase keeps (at most) the first's shortfall, within the budget, counted in the tables as in the model
    assert optimum - 1e-6 <= weighted_shortfall(result) <= first.objective + 1e-6
    assert second.objective == pytest.approx(result.spending["total"]) and result.spending["total"] <= budget


def test_a_fixed_search_leaves_the_bounds_as_they_were():
    large, _ = problem()
    large._continuous_flows = True
    built = large._build(allow_shortfall=True)
    built.model.minimize(built.weighted)
    choices = list(built.choose.values())
    # a few at 1 (they fit the budget: 3% of what every candidate costs), a third at 0, the rest free
    relaxed = {x: (1.0 if k % 60 == 0 else 0.0 if k % 3 == 1 else 0.5) for k, x in enumerate(choices)}
    before = [(x.lower_bound, x.upper_bound) for x in choices]
    result, stats = fixed_search(built.model, relaxed, SolverOptions("highs", 30), 30)
    assert result.has_primal_feasible_solution() and stats.status in ("optimal", "feasible")
    values = result.variable_values()
    assert all(values[x] > 0.5 for x, v in relaxed.items() if v == 1.0)
    assert all(values[x] < 0.5 for x, v in relaxed.items() if v == 0.0)
    assert [(x.lower_bound, x.upper_bound) for x in choices] == before
