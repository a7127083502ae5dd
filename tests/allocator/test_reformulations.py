"""The allocator's reformulations keep the optimum: each is checked against the plain model on small instances.

Coefficient strengthening (solver.LinearRows.covering; k capped at the gap in coverage rows): a 0/1 choice that
meets a requirement on its own counts for the requirement, no more. Integer plans keep their feasibility and least
shortfall, so both phases' optima are unchanged; only the LP relaxation is tighter (its bound closer)."""

import pytest
from ortools.math_opt.python import mathopt

from allocator.planning import PlacementProblem
from allocator.solver import LinearRows, SolverOptions, cp_sat_parameters
from allocator.synthetic import SYNTHETIC_TOWNSHIP_TARGETS, synthetic_townships

BACKENDS = ["highs", "cp-sat"]


def knapsack(strengthened: bool, relaxed: bool) -> float:
    # 50 places needed; A adds 200 for 4,000,000, B and C 30 each for 1,000,000. The cheapest plan is B + C
    # (2,000,000). Plain LP: a quarter of A (1,000,000). Strengthened, A counts 50: the LP takes B and 2/3 of C
    # (1,666,667).
    rows = LinearRows()
    a, b, c = (rows.variable(0, 1, True) for _ in range(3))
    terms = [(a, 200), (b, 30), (c, 30)]
    (rows.covering if strengthened else rows.constraint)(terms, lb=50)
    model, variables = rows.model()
    for variable in variables:
        variable.integer = not relaxed
    model.minimize(4_000_000 * variables[a] + 1_000_000 * variables[b] + 1_000_000 * variables[c])
    return mathopt.solve(model, mathopt.SolverType.HIGHS).objective_value()


def test_covering_rows_cap_choices_at_the_requirement_and_keep_the_integer_optimum():
    assert knapsack(False, False) == pytest.approx(2_000_000) == knapsack(True, False)
    assert knapsack(False, True) == pytest.approx(1_000_000)
    assert knapsack(True, True) == pytest.approx(5_000_000 / 3)


def test_covering_leaves_rows_with_negative_terms_or_general_integers_alone():
    rows = LinearRows()
    x, q, y = rows.variable(0, 1, True), rows.variable(0, 300, True), rows.variable(0, 1, True)
    rows.covering([(x, 200), (q, 1)], lb=50)  # q is no 0/1 choice: kept; x capped
    rows.covering([(x, 200), (y, -10)], lb=50)  # a negative term: the row is left as written
    model, _ = rows.model()
    matrix = model.export_model().linear_constraint_matrix
    assert list(zip(matrix.row_ids, matrix.column_ids, matrix.coefficients)) == [
        (0, 0, 50), (0, 1, 1), (1, 0, 200), (1, 2, -10)]


def small_province(budget_share: float):
    districts, projects, budget = synthetic_townships(3, 24, 160, seed=5, budget_share=budget_share)
    return districts, projects, budget


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("budget_share", [0.03, 0.08])
def test_the_strengthened_model_has_the_plain_models_optima(backend, budget_share, monkeypatch):
    districts, projects, budget = small_province(budget_share)

    def solve():
        problem = PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=budget,
                                               only_targets=SYNTHETIC_TOWNSHIP_TARGETS)
        return problem.solve("shortfall", SolverOptions(backend, 120))

    strengthened = solve()
    monkeypatch.setattr(PlacementProblem, "STRENGTHEN", False)
    plain = solve()
    assert strengthened.status == plain.status == "optimal"
    assert [round(s.objective) for _, s in strengthened.phases] == [round(s.objective) for _, s in plain.phases]
    assert strengthened.spending["total"] <= budget
    # the tables count as the model does
    weighted = (strengthened.targets["shortfall"] * strengthened.targets["weight"]).sum()
    assert strengthened.phases[0][1].objective == pytest.approx(weighted)


def test_the_strengthened_relaxation_bounds_the_shortfall_closer(monkeypatch):
    districts, projects, budget = small_province(0.03)
    bounds = []
    for strengthen in (False, True):
        monkeypatch.setattr(PlacementProblem, "STRENGTHEN", strengthen)
        problem = PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=budget,
                                               only_targets=SYNTHETIC_TOWNSHIP_TARGETS)
        problem._continuous_flows = True
        built = problem._build(allow_shortfall=True)
        for variable in built.model.variables():
            variable.integer = False
        built.model.minimize(built.weighted)
        bounds.append(mathopt.solve(built.model, mathopt.SolverType.HIGHS).objective_value())
    plain, strengthened = bounds
    assert strengthened >= plain - 1e-6 and strengthened > plain


def test_cp_sat_runs_with_the_full_linear_relaxation_and_the_workers_asked_for():
    assert cp_sat_parameters(None).linearization_level == 2
    assert cp_sat_parameters(None).num_workers == 1 and cp_sat_parameters(4).num_workers == 4
