"""Beasley's OR-Library capacitated facility location instances reach their published optimal values."""

from pathlib import Path

import pytest

from allocator.facility_location import CapacitatedFacilityLocation
from allocator.solver import SolverOptions

ORLIB = Path(__file__).resolve().parents[2] / "bench" / "data" / "orlib"


@pytest.mark.parametrize("instance, optimum", [("cap41", 1040444.375), ("cap71", 932615.750)])
@pytest.mark.parametrize("backend", ["highs", "cp-sat", "scip"])
def test_cap41_and_cap71_reach_the_published_optimum(instance, optimum, backend):
    problem = CapacitatedFacilityLocation.from_orlib(ORLIB / f"{instance}.txt")
    assert problem.cost.shape == (16, 50)
    result = problem.solve(SolverOptions(backend, time_limit_s=60))
    assert result.stats.status == "optimal"
    assert result.objective == pytest.approx(optimum, abs=1e-3)
    # the plan is what the objective says: fixed costs of the opened sites plus the share of each customer served
    fixed = problem.sites.loc[result.opened, "fixed_cost"].sum()
    assert fixed + result.assignment["cost"].sum() == pytest.approx(optimum, abs=1e-3)
    served = result.assignment.groupby("customer")["quantity"].sum()
    assert served.reindex(problem.customers.index).to_numpy() == pytest.approx(problem.customers["demand"].to_numpy())
    load = result.assignment.groupby("site")["quantity"].sum()
    assert (load <= problem.sites.loc[load.index, "capacity"] + 1e-6).all()


@pytest.mark.parametrize("instance, optimum", [("cap101", 796648.437), ("cap131", 793439.562)])
def test_larger_instances_with_the_mip_backend(instance, optimum):
    result = CapacitatedFacilityLocation.from_orlib(ORLIB / f"{instance}.txt").solve(SolverOptions("highs", 60))
    assert result.stats.status == "optimal"
    assert result.objective == pytest.approx(optimum, abs=1e-3)


def test_a_capacity_too_small_for_the_demand_is_infeasible_not_an_error(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(" 2 2 \n 5 10. \n 5 10. \n 8 \n 1 2 \n 8 \n 2 1 \n")
    result = CapacitatedFacilityLocation.from_orlib(path).solve(SolverOptions("highs", 10))
    assert result.stats.status == "infeasible" and result.opened == []
