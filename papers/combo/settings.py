"""From config/papers/combo.yaml to training runs: per-dataset settings (notes.md Sec. 3.2 / 3.3), the candidates of
the selection-rule Tables 4-7, the D4RL runs and Table 8.

A run lives at <results>/combo/runs/ (<results>: config["results"], the scale's output root)<dataset>/<variant>/, the variant naming the algorithm and the four factors the
tables vary, e.g. combo_beta5_muuniform_rhomodel_f0.5. A (dataset, variant) is one run however many tables use it:
each of Tables 4-7 varies one factor around the dataset's per-dataset setting, so the setting itself is shared.
"""
from __future__ import annotations

import re

from shared.model import pipeline
from shared.model.tasks import env_family

ALGOS = ("combo", "cql_mbpo")
FACTORS = ("beta", "rollout_policy", "rho_states", "real_fraction")
VARIANT = re.compile(r"^(combo|cql_mbpo)_beta([0-9.e-]+)_mu(uniform|policy)_rho(model|mix|data)_f([0-9.]+)$")
SELECTION_TABLES = ("table4", "table5", "table6", "table7")
# Labels of a candidate in ours.csv / published.yaml, per factor (the paper's notation).
CANDIDATE_LABEL = {
    "beta": lambda v: f"beta={v:g}",
    "rollout_policy": {"uniform": "mu=Unif(a)", "policy": "mu=pi(a|s)"}.get,
    "rho_states": {"model": "rho(s)=d^pi_M", "mix": "rho(s)=d_f"}.get,
    "real_fraction": lambda v: f"f={v:g}",
}


def variant_name(algo: str, factors: dict) -> str:
    return (f"{algo}_beta{factors['beta']:g}_mu{factors['rollout_policy']}_rho{factors['rho_states']}"
            f"_f{factors['real_fraction']:g}")


def parse_variant(variant: str) -> tuple[str, dict]:
    match = VARIANT.match(variant)
    if not match:
        raise ValueError(f"unknown run variant {variant!r}: expected e.g. combo_beta5_muuniform_rhomodel_f0.5")
    algo, beta, mu, rho, f = match.groups()
    return algo, {"beta": float(beta), "rollout_policy": mu, "rho_states": rho, "real_fraction": float(f)}


def dataset_factors(cfg: dict, dataset: str) -> dict:
    return {name: cfg["per_dataset"][dataset][name] for name in FACTORS}


def default_variant(cfg: dict, dataset: str, algo: str = "combo") -> str:
    """The dataset's own per-dataset setting (CQL+MBPO: the same, with push-down at dataset states)."""
    factors = dataset_factors(cfg, dataset)
    if algo == "cql_mbpo":
        factors["rho_states"] = "data"
    return variant_name(algo, factors)


def run_config(cfg: dict, dataset: str, variant: str, model_dir: str) -> tuple[str, dict]:
    """(algo, COMBOConfig fields) of one run: per-dataset settings, the variant's factors, the scale's sizes."""
    algo, factors = parse_variant(variant)
    fields = dict(cfg["per_dataset"][dataset])
    fields.update(factors)
    fields.update({k: v for k, v in cfg["train"].items() if k != "batch_size"})
    fields.update({"env": env_family(dataset), "model_dir": model_dir})
    return algo, fields


def selection_candidates(cfg: dict) -> list[tuple[str, str, str, str]]:
    """(table, dataset, candidate label, variant) for every candidate of Tables 4-7 the scale runs."""
    out = []
    for table in SELECTION_TABLES:
        field, values = cfg["candidates"][table]["field"], cfg["candidates"][table]["values"]
        for dataset in cfg["selection"][table]:
            for value in values:
                factors = {**dataset_factors(cfg, dataset), field: value}
                out.append((table, dataset, CANDIDATE_LABEL[field](value), variant_name("combo", factors)))
    return out


def run_list(cfg: dict) -> list[tuple[str, str, list[int]]]:
    """Every (dataset, variant, seeds) the scale trains, each once."""
    runs = {(dataset, variant): cfg["seeds"] for _, dataset, _, variant in selection_candidates(cfg)}
    for dataset in cfg["d4rl"]["datasets"]:
        runs.setdefault((dataset, default_variant(cfg, dataset)), cfg["seeds"])
    for dataset in cfg["table8"]["datasets"]:
        for algo in ALGOS:
            runs[(dataset, default_variant(cfg, dataset, algo))] = cfg["table8"]["seeds"]
    return [(d, v, seeds) for (d, v), seeds in runs.items()]


def run_seeds(cfg: dict, dataset: str, variant: str) -> list[int]:
    for d, v, seeds in run_list(cfg):
        if (d, v) == (dataset, variant):
            return seeds
    raise ValueError(f"no run {dataset}/{variant} at this scale")


def train_args(cfg: dict, config: dict, dataset: str, variant: str) -> str:
    """The command-line arguments of papers.combo.train for one run (Snakemake's params)."""
    algo, fields = run_config(cfg, dataset, variant, pipeline.model_dir(config, dataset, "{seed}"))
    return pipeline.train_args(config, algo, dataset, run_seeds(cfg, dataset, variant), cfg, fields)


def train_inputs(cfg: dict, config: dict, dataset: str, variant: str) -> list[str]:
    return pipeline.run_inputs(config, dataset, run_seeds(cfg, dataset, variant))
