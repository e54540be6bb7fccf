"""From config/papers/dmg.yaml to training commands: per-dataset hyperparameters (Table 5, App. C.1) and the
run variants of every table and figure.

A run lives at results/dmg/runs/<group>/<dataset>/<variant>/ with
  group    table2 | table3 | table6 | lambda | nu            (which artifact needs it; fixes the seeds)
  variant  an algorithm (dmg, bc, iql, td3bc, xql, xql_dmg, sql, sql_dmg), or dmg-lam<value> / dmg-nu<value>
"""
from __future__ import annotations

import re

# Our method names (ours.csv / published.yaml) for each algorithm.
METHOD_NAMES = {"dmg": "DMG", "bc": "BC", "iql": "IQL", "td3bc": "TD3BC", "xql": "XQL", "xql_dmg": "XQL+DMG",
                "sql": "SQL", "sql_dmg": "SQL+DMG"}
GROUPS = ("table2", "table3", "table6", "lambda", "nu")
SWEEP_VARIANT = re.compile(r"^dmg-(lam|nu)(\d+(?:\.\d+)?(?:e-?\d+)?)$")


def domain(dataset: str) -> str:
    return "antmaze" if dataset.startswith("antmaze") else "locomotion"


def level(dataset: str) -> str:
    """'halfcheetah-medium-replay' -> 'medium-replay'; 'antmaze-umaze' -> 'umaze'."""
    return dataset.split("-", 1)[1]


def hyperparameters(hyper: dict, algo: str, dataset: str) -> dict:
    """Config-field values of `algo` on `dataset` from the `hyperparameters` mapping of dmg.yaml."""
    dom, lvl = domain(dataset), level(dataset)
    values: dict = {}
    if algo in ("dmg", "xql_dmg", "sql_dmg"):
        values.update(hyper["dmg"][dom])
        if dom == "locomotion":
            values["nu"] = hyper["dmg"]["nu_by_level"][lvl]
    if algo in ("xql", "xql_dmg"):
        values["xql_beta"] = hyper["xql"]["beta"]
    if algo == "xql":
        values.update(hyper["xql"]["actor"])
    if algo in ("sql", "sql_dmg"):
        values["sql_alpha"] = hyper["sql"]["alpha_by_level"].get(lvl, hyper["sql"]["alpha_default"])
    if algo == "iql":
        values.update(hyper["iql"][dom])
    return values


def parse_variant(variant: str) -> tuple[str, dict]:
    """'dmg' -> ('dmg', {}); 'dmg-lam0.5' -> ('dmg', {'lam': 0.5}); 'dmg-nu0.01' -> ('dmg', {'nu': 0.01})."""
    if variant in METHOD_NAMES:
        return variant, {}
    match = SWEEP_VARIANT.match(variant)
    if not match:
        raise ValueError(f"unknown run variant {variant!r}: expected one of {sorted(METHOD_NAMES)} "
                         "or dmg-lam<value> / dmg-nu<value>")
    return "dmg", {match.group(1): float(match.group(2))}   # the DMGConfig field: lam or nu


def sweep_variant(kind: str, value: float) -> str:
    return f"dmg-{kind}{value:g}"


def run_overrides(cfg: dict, group: str, dataset: str, variant: str) -> tuple[str, list[str]]:
    """(algo, ['--set', 'key=value', ...]) for one run. Sweeps fix the other coefficient (Fig. 1: nu = 0.1,
    Fig. 2: lambda = 0.25) over the dataset's default, and the swept value wins over both."""
    algo, swept = parse_variant(variant)
    values = hyperparameters(cfg["hyperparameters"], algo, dataset)
    if group in ("lambda", "nu"):
        values.update(cfg[f"{group}_sweep"]["fixed"])
    values.update(swept)
    args: list[str] = []
    for key, value in values.items():
        args += ["--set", f"{key}={value}"]
    return algo, args


def run_dirs(cfg: dict, runs: str) -> dict[str, list[str]]:
    """Every run directory the active scale asks for, per group (the Snakemake targets of the train rule)."""
    out: dict[str, list[str]] = {g: [] for g in GROUPS}
    for dataset in cfg["table2"]["datasets"] + cfg["table2"].get("antmaze", []):
        out["table2"] += [f"{runs}/table2/{dataset}/{algo}" for algo in cfg["table2"]["methods"]]
    for dataset in cfg["table3"]["datasets"]:
        out["table3"] += [f"{runs}/table3/{dataset}/{algo}" for algo in cfg["table3"]["methods"]]
    for dataset in cfg["table6"]["datasets"] + cfg["table6"].get("antmaze", []):
        out["table6"].append(f"{runs}/table6/{dataset}/dmg")
    for kind, group in (("lam", "lambda"), ("nu", "nu")):
        sweep = cfg[f"{group}_sweep"]
        for dataset in sweep["datasets"]:
            out[group] += [f"{runs}/{group}/{dataset}/{sweep_variant(kind, v)}" for v in sweep["values"]]
    return out


def group_seeds(cfg: dict, group: str) -> list[int]:
    return cfg["table6"]["seeds"] if group == "table6" else cfg["seeds"]


def eval_cadence(cfg: dict, dataset: str) -> dict:
    """Evaluation cadence and episodes of the domain (paper: 20k / 10 Gym, 50k / 100 AntMaze)."""
    return cfg["eval"][domain(dataset)]
