"""The names `carecalc allocate` offers (objectives, solver backends), free of solver and pandas imports so that
building the command line — which every carecalc command does — stays fast."""

OBJECTIVES = {
    "shortfall": "先使目标缺口最小，再使投资最省 / least shortfall, then least cost",
    "cost": "满足全部目标的最省方案 / cheapest plan meeting every target",
    "coverage": "服务半径内覆盖人口最多 / most residents within the service radius",
    "distance": "按人口加权的服务距离最短（考虑容量） / least population-weighted distance, with capacities",
}
BACKEND_NAMES = ("highs", "cp-sat", "scip")
# "auto" picks per model, from what bench/allocator.py measures (rerun it before changing this). With CP-SAT at
# linearization level 2 and one worker (allocator.solver) it is the faster on the placement models, per district
# and coupled: Jiujiang's county sample with every target proven optimal in 3.9 s against 20.4 s with HiGHS, its
# township model in 4.6 s against 16.2 s, the 100-county province (per district) 29.6 s proven against 73 s not
# proven (load 7-10 on 2 cores). Large coupled models start from HiGHS's relaxation either way (relax and fix).
# HiGHS stays far better on facility location (OR-Library cap101: 0.02 s vs 48 s).
AUTO = {"district": "cp-sat", "coupled": "cp-sat", "facility": "highs"}
DEFAULT_BACKEND = "auto"
