"""The path of large models (relax and fix, then the second phase in the first's neighbourhood), checked on a
small instance against the exact lexicographic optimum of the same model."""

import pytest

from allocator.planning import PlacementProblem
from allocator.solver import SolverOptions, fixed_search, relax_and_fix
from allocator.synthetic import SYNTHETIC_TOWNSHIP_TARGETS, synthetic_townships


def problem():
    districts, projects, budget = synthetic_townships(3, 24, 160, seed=5, budget_share=0.03)
    return PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=budget,
                                        only_targets=SYNTHETIC_TOWNSHIP_TARGETS), budget


def shortfall_model():
    """The first phase's model of problem() as the large models' path builds it (continuous flows, HiGHS)."""
    large, _ = problem()
    large._continuous_flows = True
    built = large._build(allow_shortfall=True)
    built.model.minimize(built.weighted)
    return built


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
    built = shortfall_model()
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


def test_rounding_the_relaxation_up_from_a_share_fixes_those_choices_and_never_plans_more_shortfall():
    built = shortfall_model()
    choices = list(built.choose.values())
    before = [(x.lower_bound, x.upper_bound) for x in choices]

    def rounded(every: int):
        """Every choice fractional, one in ``every`` from 0.7 up: only those may be (and are) taken."""
        relaxed = {x: (0.8 if k % every == 0 else 0.4) for k, x in enumerate(choices)}
        return relaxed, fixed_search(built.model, relaxed, SolverOptions("highs", 30), 30, free_fractional=False,
                                     round_up_from=0.7)

    relaxed, (up, _) = rounded(60)  # these fit the budget (3% of what every candidate costs)
    down, _ = fixed_search(built.model, relaxed, SolverOptions("highs", 30), 30, free_fractional=False)
    assert up.has_primal_feasible_solution() and down.has_primal_feasible_solution()
    values = up.variable_values()
    assert all((values[x] > 0.5) == (v >= 0.7) for x, v in relaxed.items())
    assert up.objective_value() <= down.objective_value() + 1e-6  # more supply, never more shortfall
    # a third of every candidate breaks the budget: relax and fix then falls back to every fractional choice at 0
    _, (_, stats) = rounded(3)
    assert stats.status == "infeasible"
    assert [(x.lower_bound, x.upper_bound) for x in choices] == before


def test_relax_and_fix_keeps_a_valid_bound_and_a_plan_no_better_than_the_optimum():
    exact_problem, _ = problem()
    exact = exact_problem.solve("shortfall", SolverOptions("highs", 120))
    assert exact.status == "optimal"
    optimum = exact.phases[0][1].objective
    built = shortfall_model()
    warm = relax_and_fix(built.model, list(built.choose.values()), SolverOptions("highs", 60), 60, integral=True)
    assert warm.hint is not None
    assert warm.bound <= optimum + 1e-6 <= warm.objective + 1e-6
