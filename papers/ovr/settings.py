"""From config/papers/ovr.yaml to training runs: which (group, dataset, algorithm) the active scale trains.

A run lives at results/ovr/runs/<group>/<dataset>/<variant>/ with
  group    table1 | ablation | noise | lambda     (which artifact needs it)
  variant  an algorithm (bcq, bcq_ovr, bcq_ovr_corrected, bcq_iw), or bcq_ovr-lam<value> in the lambda sweep
Figure 1 is drawn from the table1 runs; Figure 2 from the hopper table1 runs (BCQ, BCQ+OVR) plus the ablation runs.
"""
from __future__ import annotations

import re

METHOD_NAMES = {"bcq": "BCQ", "bcq_ovr": "BCQ+OVR", "bcq_ovr_corrected": "BCQ+OVR (corrected)",
                "bcq_iw": "BCQ+I.W."}
GROUPS = ("table1", "ablation", "noise", "lambda")
LAMBDA_VARIANT = re.compile(r"^bcq_ovr-lam(\d+(?:\.\d+)?(?:e-?\d+)?)$")


def parse_variant(variant: str) -> tuple[str, dict]:
    """'bcq_ovr' -> ('bcq_ovr', {}); 'bcq_ovr-lam0.03' -> ('bcq_ovr', {'ovr_lambda': 0.03})."""
    if variant in METHOD_NAMES:
        return variant, {}
    match = LAMBDA_VARIANT.match(variant)
    if not match:
        raise ValueError(f"unknown run variant {variant!r}: expected one of {sorted(METHOD_NAMES)} "
                         "or bcq_ovr-lam<value>")
    return "bcq_ovr", {"ovr_lambda": float(match.group(1))}


def lambda_variant(value: float) -> str:
    return f"bcq_ovr-lam{value:g}"


def data_name(cfg: dict, source: str, dataset: str) -> str:
    """The dataset name to load: with source d4rl the paper's D4RL v0 files (fetched beforehand with
    python -m shared.data fetch hopper-mixed-v0 --source d4rl); run folders keep the v2-era names."""
    return f"{dataset}-{cfg.get('d4rl_version', 'v0')}" if source == "d4rl" else dataset


def run_args(cfg: dict, group: str, dataset: str, variant: str) -> list[str]:
    """The train CLI's arguments of one run, without --out."""
    algo, swept = parse_variant(variant)
    values = {**cfg["hyperparameters"], **swept} if algo != "bcq" else {}
    if algo in ("bcq_iw",):
        values.pop("ovr_lambda", None)   # importance weighting alone: no reward augmentation
    args = ["--algo", algo, "--dataset", dataset, "--seeds", *[str(s) for s in cfg["seeds"]],
            "--steps", str(cfg["steps"]), "--batch-size", str(cfg.get("batch_size", 100)), "--eval-every", str(min(cfg["eval"]["every"], cfg["steps"])),
            "--eval-episodes", str(cfg["eval"]["episodes"]), "--log-every", str(cfg["log_every"])]
    if group == "noise":
        args += ["--reward-noise-std", str(cfg["noise"]["std"]), "--reward-noise-seed", str(cfg["noise"]["seed"])]
    for key, value in values.items():
        args += ["--set", f"{key}={value}"]
    return args


def run_dirs(cfg: dict, runs: str) -> dict[str, list[str]]:
    """Every run directory of the active scale, per group."""
    out: dict[str, list[str]] = {g: [] for g in GROUPS}
    for group in ("table1", "ablation", "noise"):
        spec = cfg[group]
        out[group] = [f"{runs}/{group}/{d}/{m}" for d in spec["datasets"] for m in spec["methods"]]
    sweep = cfg["lambda_sweep"]
    out["lambda"] = [f"{runs}/lambda/{d}/{lambda_variant(v)}" for d in sweep["datasets"] for v in sweep["values"]]
    return out


def figure2_dirs(cfg: dict, runs: str) -> list[str]:
    """Fig. 2's runs: BCQ and BCQ+OVR from Table 1 and the ablation methods, on the ablation datasets."""
    datasets = cfg["ablation"]["datasets"]
    table1 = [d for d in run_dirs(cfg, runs)["table1"] if d.split("/")[-2] in datasets]
    return table1 + run_dirs(cfg, runs)["ablation"]
