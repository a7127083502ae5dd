"""The county-by-county neighbourhood search (solver.neighbourhood_search) that improves a large model's warm start:
every plan it returns is feasible for the whole model and no worse than its start, and on instances small enough
to know the optimum it reaches it."""

import pytest
from ortools.math_opt.python import mathopt

from allocator.planning import PlacementProblem
from allocator.solver import SolverOptions, fixed_search, neighbourhood_search
from tests.allocator.test_warm_start import problem, shortfall_model


def feasible(model: mathopt.Model, values: dict, tolerance: float = 1e-6) -> bool:
    """Every bound, integrality and row of ``model`` holds for ``values``."""
    for v in model.variables():
        x = values[v]
        if not v.lower_bound - tolerance <= x <= v.upper_bound + tolerance:
            return False
        if v.integer and abs(x - round(x)) > tolerance:
            return False
    for row in model.linear_constraints():
        activity = sum(term.coefficient * values[term.variable] for term in row.terms())
        if not row.lower_bound - tolerance <= activity <= row.upper_bound + tolerance:
            return False
    return True


def two_counties():
    """Two counties share a budget of 10 and a city-wide requirement of 4 covered communities (each missing one
    weighs 100); each county also wants one facility of its own (each missing one weighs 1).
        county A: a1 costs 10 and covers 1; a2 costs 4 and covers 2.   county B: b1 costs 6 and covers 2.
    The optimum, 0, builds a2 and b1. The start builds a1 alone: the budget is spent, 3 communities and B's
    facility are missing (301); neither county alone can reach the optimum from there, one after the other can."""
    model = mathopt.Model(name="two counties")
    a1, a2, b1 = (model.add_binary_variable(name=n) for n in ("a1", "a2", "b1"))
    city, short_a, short_b = (model.add_integer_variable(lb=0, ub=4, name=n) for n in ("s", "sA", "sB"))
    model.add_linear_constraint(10 * a1 + 4 * a2 + 6 * b1 <= 10, name="budget")
    model.add_linear_constraint(a1 + 2 * a2 + 2 * b1 + city >= 4, name="city coverage")
    model.add_linear_constraint(a1 + a2 + short_a >= 1, name="county A")
    model.add_linear_constraint(b1 + short_b >= 1, name="county B")
    model.minimize(100 * city + short_a + short_b)
    start = {a1: 1.0, a2: 0.0, b1: 0.0, city: 3.0, short_a: 0.0, short_b: 1.0}
    return model, start, {a1: "A", a2: "A", b1: "B"}


@pytest.mark.parametrize("first", ["A", "B"])
def test_one_county_at_a_time_reaches_the_optimum_of_the_hand_made_instance(first):
    model, start, groups = two_counties()
    assert feasible(model, start)
    heard = []
    found = neighbourhood_search(model, start, groups, SolverOptions("highs", 30), 30, groups_per_move=1,
                                 priority={first: 1}, on_move=lambda seconds, objective: heard.append(objective))
    assert feasible(model, found.values)
    assert found.objective == pytest.approx(0)  # B first cannot move (no money left), then A, then B again
    assert found.objective == pytest.approx(mathopt.evaluate_expression(model.objective.as_linear_expression(),
                                                                        found.values))
    assert found.improved == 2 and found.moves >= 2
    # a progress line after every move; the objective never rises
    assert len(heard) == found.moves and heard == sorted(heard, reverse=True) and heard[-1] == pytest.approx(0)
    assert heard[0] == pytest.approx(201 if first == "A" else 301)
    # the bounds of the model are as they were
    assert [(v.lower_bound, v.upper_bound) for v in model.variables()] == [(0, 1)] * 3 + [(0, 4)] * 3


def test_a_plan_that_no_move_improves_is_returned_as_it_was():
    model, _, groups = two_counties()
    a1, a2, b1, city, short_a, short_b = model.variables()
    optimum = {a1: 0.0, a2: 1.0, b1: 1.0, city: 0.0, short_a: 0.0, short_b: 0.0}
    found = neighbourhood_search(model, optimum, groups, SolverOptions("highs", 30), 30, groups_per_move=1)
    assert found.improved == 0 and found.values == optimum and found.objective == 0


def test_on_a_small_province_every_plan_is_feasible_no_worse_than_its_start_and_all_counties_at_once_optimal():
    exact_problem, _ = problem()  # 3 counties, 24 townships, 160 candidates, every kind of target
    exact = exact_problem.solve("shortfall", SolverOptions("highs", 120))
    assert exact.status == "optimal"
    optimum = exact.phases[0][1].objective
    built = shortfall_model()
    county = problem()[0].projects["county"].astype(str).to_numpy()
    groups = {x: county[i] for (i, _), x in built.choose.items()}
    assert len(set(groups.values())) == 3
    # the plainest start: nothing built (the rest of the model solved with every choice at 0)
    nothing, _ = fixed_search(built.model, {x: 0.0 for x in groups}, SolverOptions("highs", 60), 60,
                              free_fractional=False)
    start = dict(nothing.variable_values())
    start_objective = mathopt.evaluate_expression(built.weighted, start)
    one = neighbourhood_search(built.model, start, groups, SolverOptions("highs", 60), 60, groups_per_move=1)
    assert feasible(built.model, one.values)
    assert optimum - 1e-6 <= one.objective < start_objective - 1  # better than the start, never than the optimum
    assert one.improved >= 1
    assert one.objective == pytest.approx(mathopt.evaluate_expression(built.weighted, one.values))
    every = neighbourhood_search(built.model, start, groups, SolverOptions("highs", 60), 60, groups_per_move=3)
    assert feasible(built.model, every.values)
    assert every.objective == pytest.approx(optimum)  # one move frees the whole model: the exact optimum


def test_the_large_models_path_keeps_a_valid_bound_and_its_plan_from_the_search(monkeypatch):
    """With every model on the large models' path and a gap of 0 asked for, the search runs after relax and fix;
    the plan read into the tables keeps the first phase's shortfall, within the budget."""
    exact_problem, budget = problem()
    optimum = exact_problem.solve("shortfall", SolverOptions("highs", 120)).phases[0][1].objective
    monkeypatch.setattr(PlacementProblem, "WARM_START_FROM", 0)
    monkeypatch.setattr(PlacementProblem, "COUNTIES_PER_MOVE", 1)
    large, _ = problem()
    result = large.solve("shortfall", SolverOptions("highs", 120))
    first, second = (stats for _, stats in result.phases)
    assert first.bound <= optimum + 1e-6 <= first.objective + 1e-6
    weighted = (result.targets["shortfall"] * result.targets["weight"]).sum()
    assert optimum - 1e-6 <= weighted <= first.objective + 1e-6
    assert result.spending["total"] <= budget
