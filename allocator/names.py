"""The names `carecalc allocate` offers (objectives, solver backends), free of solver and pandas imports so that
building the command line — which every carecalc command does — stays fast."""

OBJECTIVES = {
    "shortfall": "先使目标缺口最小，再使投资最省 / least shortfall, then least cost",
    "cost": "满足全部目标的最省方案 / cheapest plan meeting every target",
    "coverage": "服务半径内覆盖人口最多 / most residents within the service radius",
    "distance": "按人口加权的服务距离最短（考虑容量） / least population-weighted distance, with capacities",
}
BACKEND_NAMES = ("highs", "cp-sat", "scip")
# "auto" picks per model, from what bench/allocator.py measures (rerun it before changing this): CP-SAT solves the
# many small per-district models of the placement problem about twice as fast as HiGHS (province 6.5 s vs 12.4 s);
# HiGHS is far better on the coupled models (a binding budget, city-wide targets) and on facility location
# (OR-Library cap101: 0.02 s vs 48 s).
AUTO = {"district": "cp-sat", "coupled": "highs", "facility": "highs"}
DEFAULT_BACKEND = "auto"
