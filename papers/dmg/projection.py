r"""Projected wall time of DMG's paper scale per table, from a measured engine benchmark (a projection, not a run).

  python -m papers.dmg.projection --bench results/bench/cpu.json

For every training job of the paper scale (papers/dmg/settings.py: run_dirs) the time is its updates divided by
the benchmark's updates/s of that algorithm at the nearest measured K, plus its evaluations (episodes x 1000
env steps x K seeds at the benchmark's evaluation env steps/s). Fine-tuning (Table 4) counts its online updates
the same way and leaves out the environment steps of training.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from papers.dmg import settings
from shared.config import scale_settings

FAMILY = {"dmg": "dmg", "xql_dmg": "dmg", "sql_dmg": "dmg", "xql": "dmg", "sql": "dmg", "bc": "bc", "iql": "iql",
          "td3bc": "td3bc", "td3": "td3"}
EPISODE_STEPS = 1000


def job_hours(bench: dict, algo: str, k: int, updates: int, evals: int, episodes: int) -> tuple[float, float]:
    """(training hours, evaluation hours) of one job."""
    rates = {r["seeds"]: r["updates_per_s"] for r in bench["results"] if r["algo"] == FAMILY[algo]}
    nearest = min(rates, key=lambda measured: abs(measured - k))
    train = updates / (rates[nearest] * nearest / k) / 3600      # seed-updates/s of the nearest K, scaled to k
    evaluation = evals * episodes * EPISODE_STEPS * k / bench["eval_env_steps_per_s"] / 3600
    return train, evaluation


def project(bench: dict, cfg: dict) -> dict[str, dict]:
    tables = {}
    for group, dirs in settings.run_dirs(cfg, "runs").items():
        seeds = len(settings.group_seeds(cfg, group))
        total = {"jobs": 0, "train_hours": 0.0, "eval_hours": 0.0}
        for run in dirs:
            dataset, variant = run.split("/")[-2:]
            algo, _ = settings.parse_variant(variant)
            cadence = settings.eval_cadence(cfg, dataset)
            train, evaluation = job_hours(bench, algo, seeds, cfg["steps"], cfg["steps"] // cadence["every"],
                                          cadence["episodes"])
            total["jobs"] += 1
            total["train_hours"] += train
            total["eval_hours"] += evaluation
        tables[group] = total
    ft = cfg["finetune"]
    total = {"jobs": 0, "train_hours": 0.0, "eval_hours": 0.0}
    for _dataset in ft["datasets"] + ft["stand_in"]:
        for method in ("dmg", "iql", "td3"):
            train, evaluation = job_hours(bench, method, len(cfg["seeds"]), ft["online_steps"],
                                          ft["online_steps"] // ft["eval_every"] + 1, ft["eval_episodes"])
            total["jobs"] += 1
            total["train_hours"] += train
            total["eval_hours"] += evaluation
    tables["table4 (fine-tuning)"] = total
    return tables


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m papers.dmg.projection", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default="results/bench/cpu.json", help="a JSON file written by python -m shared.bench")
    p.add_argument("--scale", default="paper")
    args = p.parse_args(argv)
    path = Path(args.bench)
    if not path.exists():
        raise SystemExit(f"--bench {args.bench}: no such file (run python -m shared.bench)")
    bench = json.loads(path.read_text())
    tables = project(bench, scale_settings("dmg", args.scale))
    load = bench["load_average_1_5_15min"][0]
    print(f"projection from {args.bench} ({bench['device_name']}, load average {load:.1f})")
    print("| table | jobs | training (job-hours) | evaluation (job-hours) | evaluation share |")
    print("|---|---|---|---|---|")
    for name, t in tables.items():
        share = t["eval_hours"] / (t["train_hours"] + t["eval_hours"])
        print(f"| {name} | {t['jobs']} | {t['train_hours']:.0f} | {t['eval_hours']:.1f} | {share:.1%} |")
    return tables


if __name__ == "__main__":
    main()
