"""Gather the runs into results/ovr/ours.csv (the diff's input), ratio.csv (the DualDICE ratio over the data at the
end of each run) and sweeps.csv (the lambda sensitivity sweep: tuning, not in the paper).

  python -m papers.ovr.collect --scale quick --out-dir results/ovr --figure2-datasets hopper-medium \
      results/ovr/runs/*/*/*/final.json

Run paths say what a run is: runs/<group>/<dataset>/<variant>/final.json (papers/ovr/settings.py).
Table 1's BCQ and BCQ+OVR rows on the Figure 2 datasets are Figure 2's BCQ and BCQ+OVR too.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from papers.ovr.settings import GROUPS, METHOD_NAMES, parse_variant
from shared.report.results import WRITTEN_COLUMNS, run_rows
from shared.runs import atomic_write_text

ARTIFACTS = {"table1": "table1", "ablation": "figure2", "noise": "figure3"}
NOISE_SUFFIX = " (r + noise)"


def rows_of_run(path: Path, final: dict, scale: str, figure2_datasets: set[str]) -> list[dict]:
    group, dataset, variant = path.parts[-4], path.parts[-3], path.parts[-2]
    if group == "lambda":
        return []
    method = METHOD_NAMES[variant]
    setting = dataset + NOISE_SUFFIX if group == "noise" else dataset
    rows = run_rows(final, ARTIFACTS[group], setting, method, scale)
    if group == "table1" and dataset in figure2_datasets:
        rows += run_rows(final, "figure2", dataset, method, scale)
    return rows


def ratio_rows(path: Path, final: dict) -> list[dict]:
    ratio = path.parent / "ratio.json"
    if not ratio.exists():
        return []
    members = json.loads(ratio.read_text())["members"]
    return [{"group": path.parts[-4], "dataset": path.parts[-3], "variant": path.parts[-2], "seed": m["seed"],
             "mean": m["mean"], "max": m["max"], "median": m["quantiles"]["0.5"], "below_0": m["below"],
             "above_max": m["above"], "omega_raw_mean_last_window": final["final_stats"].get("omega_raw_mean",
                                                                                             [math.nan] * 99)[k]}
            for k, m in enumerate(members)]


def sweep_rows(path: Path, final: dict) -> list[dict]:
    if path.parts[-4] != "lambda":
        return []
    _, swept = parse_variant(path.parts[-2])
    return [{"dataset": path.parts[-3], "value": swept["ovr_lambda"], "seed": seed, "score": s, "diverged": d,
             "q": q} for seed, s, d, q in zip(final["seeds"], final["final_score"], final["diverged"],
                                             final["final_stats"].get("q_mean", [math.nan] * len(final["seeds"])))]


def collect(paths: list[Path], scale: str, figure2_datasets: set[str]):
    ours, ratios, sweeps = [], [], []
    for path in sorted(paths):
        if path.name != "final.json" or len(path.parts) < 4 or path.parts[-4] not in GROUPS:
            raise SystemExit(f"{path}: expected runs/<group>/<dataset>/<variant>/final.json, group in {list(GROUPS)}")
        final = json.loads(path.read_text())
        ours += rows_of_run(path, final, scale, figure2_datasets)
        ratios += ratio_rows(path, final)
        sweeps += sweep_rows(path, final)
    return (pd.DataFrame(ours, columns=list(WRITTEN_COLUMNS)), pd.DataFrame(ratios),
            pd.DataFrame(sweeps, columns=["dataset", "value", "seed", "score", "diverged", "q"]))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.ovr.collect", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", required=True, choices=["tiny", "quick", "paper"])
    p.add_argument("--out-dir", required=True, type=Path)
    p.add_argument("--figure2-datasets", nargs="*", default=[], help="datasets of the Hopper ablation (Fig. 2)")
    p.add_argument("finals", nargs="*", type=Path, help="final.json files of the runs")
    args = p.parse_args(argv)
    missing = [str(f) for f in args.finals if not f.exists()]
    if missing:
        raise SystemExit(f"missing run outputs: {', '.join(missing)}")
    ours, ratios, sweeps = collect(args.finals, args.scale, set(args.figure2_datasets))
    for name, df in (("ours.csv", ours), ("ratio.csv", ratios), ("sweeps.csv", sweeps)):
        atomic_write_text(args.out_dir / name, df.to_csv(index=False))
    print(f"ours.csv: {len(ours)} rows over {ours.groupby(['artifact', 'setting', 'method']).ngroups} cells; "
          f"ratio.csv: {len(ratios)} rows; sweeps.csv: {len(sweeps)} rows")


if __name__ == "__main__":
    main()
