"""Gather the runs' final.json files into results/dmg/ours.csv (the diff's input), sweeps.csv (Figures 1-2: score
and learned Q per swept value and seed) and runtime.csv (Figure 3: measured training speed per algorithm).

  python -m papers.dmg.collect --scale quick --out-dir results/dmg results/dmg/runs/*/*/*/final.json

Run paths say what a run is: runs/<group>/<dataset>/<variant>/final.json (see papers/dmg/settings.py) and
runs/finetune/<dataset>/<method>/final.json (papers/dmg/finetune.py).
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from papers.dmg.settings import GROUPS, METHOD_NAMES, parse_variant
from shared.report.results import WRITTEN_COLUMNS, per_seed_rows, run_columns
from shared.runs import atomic_write_text

SWEEP_ARTIFACTS = {"lambda": "figure1", "nu": "figure2"}
TABLE6_METHODS = {"table2": "DMG (5 seeds)", "table6": "DMG (10 seeds)"}
FINETUNE_METHODS = {"dmg": "DMG", "iql": "IQL", "td3": "TD3"}


def table4_setting(final: dict) -> str:
    """AntMaze rows keep the paper's names; a generated locomotion stand-in is labelled as one."""
    dataset = final["dataset"]
    return dataset if dataset.startswith("antmaze") else f"{dataset} (stand-in)"


def rows_of_run(path: Path, final: dict, scale: str) -> list[dict]:
    group, dataset, variant = path.parts[-4], path.parts[-3], path.parts[-2]
    base = run_columns(final, scale)

    def per_seed(artifact, setting, method, values, diverged):
        return per_seed_rows(artifact, setting, method, final["seeds"], values, diverged, **base)

    if group == "finetune":
        method = FINETUNE_METHODS[variant]
        setting = table4_setting(final)
        rows = per_seed("table4", setting, method if method == "TD3" else f"{method} (online)",
                        final["online_score"], final["diverged"])
        if method != "TD3":
            rows += per_seed("table4", setting, f"{method} (offline)", final["offline_score"],
                             [math.isnan(v) for v in final["offline_score"]])
        return rows
    scores, diverged = final["final_score"], final["diverged"]
    if group in ("table2", "table3"):
        return per_seed(group, dataset, METHOD_NAMES[variant], scores, diverged)
    if group == "table6":
        return per_seed("table6", dataset, TABLE6_METHODS["table6"], scores, diverged)
    _, swept = parse_variant(variant)
    (value,) = swept.values()
    return per_seed(SWEEP_ARTIFACTS[group], f"{group}={value:g} {dataset}", "DMG", scores, diverged)


def sweep_rows(path: Path, final: dict) -> list[dict]:
    group, dataset, variant = path.parts[-4], path.parts[-3], path.parts[-2]
    if group not in ("lambda", "nu"):
        return []
    _, swept = parse_variant(variant)
    (value,) = swept.values()
    q = final["final_stats"].get("q_mean", [math.nan] * len(final["seeds"]))
    return [{"sweep": group, "dataset": dataset, "value": value, "seed": seed, "score": s, "q": qk,
             "diverged": d} for seed, s, qk, d in zip(final["seeds"], final["final_score"], q, final["diverged"])]


def runtime_row(path: Path, final: dict, dataset: str) -> dict | None:
    if path.parts[-4] != "table2" or path.parts[-3] != dataset:
        return None
    seeds, hours_job = len(final["seeds"]), 1e6 / final["updates_per_s"] / 3600
    # A job trains all its seeds at once: hours per seed is the job's time shared over its seeds.
    return {"method": METHOD_NAMES[final["algo"]], "dataset": dataset, "seeds": seeds, "device": final["device"],
            "updates_per_s": final["updates_per_s"], "hours_per_1m_updates_job": hours_job,
            "hours_per_1m_updates_per_seed": hours_job / seeds}


def table6_from_table2(rows: list[dict]) -> list[dict]:
    """Table 6's 5-seed column is Table 2's DMG column, shown where the 10-seed runs exist."""
    with_ten = {r["setting"] for r in rows if r["artifact"] == "table6"}
    return [{**r, "artifact": "table6", "method": TABLE6_METHODS["table2"]} for r in rows
            if r["artifact"] == "table2" and r["method"] == "DMG" and r["setting"] in with_ten]


def collect(paths: list[Path], scale: str, runtime_dataset: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ours, sweeps, runtime = [], [], []
    for path in sorted(paths):
        if path.name != "final.json" or len(path.parts) < 4 or path.parts[-4] not in (*GROUPS, "finetune"):
            raise SystemExit(f"{path}: expected runs/<group>/<dataset>/<variant>/final.json, "
                             f"group in {[*GROUPS, 'finetune']}")
        final = json.loads(path.read_text())
        ours += rows_of_run(path, final, scale)
        sweeps += sweep_rows(path, final)
        if (row := runtime_row(path, final, runtime_dataset)) is not None:
            runtime.append(row)
    ours += table6_from_table2(ours)
    return (pd.DataFrame(ours, columns=list(WRITTEN_COLUMNS)),
            pd.DataFrame(sweeps, columns=["sweep", "dataset", "value", "seed", "score", "q", "diverged"]),
            pd.DataFrame(runtime))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.dmg.collect", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", required=True, choices=["tiny", "quick", "paper"])
    p.add_argument("--out-dir", required=True, type=Path)
    p.add_argument("--runtime-dataset", default="halfcheetah-medium-replay",
                   help="Table 2 dataset whose runs give Figure 3's runtimes")
    p.add_argument("finals", nargs="*", type=Path, help="final.json files of the runs")
    args = p.parse_args(argv)
    missing = [str(f) for f in args.finals if not f.exists()]
    if missing:
        raise SystemExit(f"missing run outputs: {', '.join(missing)}")
    ours, sweeps, runtime = collect(args.finals, args.scale, args.runtime_dataset)
    for name, df in (("ours.csv", ours), ("sweeps.csv", sweeps), ("runtime.csv", runtime)):
        atomic_write_text(args.out_dir / name, df.to_csv(index=False))
    print(f"ours.csv: {len(ours)} rows over {ours.groupby(['artifact', 'setting', 'method']).ngroups} cells; "
          f"sweeps.csv: {len(sweeps)} rows; runtime.csv: {len(runtime)} algorithms")


if __name__ == "__main__":
    main()
