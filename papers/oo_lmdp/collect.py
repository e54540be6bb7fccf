"""Gather the experiments' outputs into results/oo_lmdp/ours.csv and a readable summary.md.

    python -m papers.oo_lmdp.collect --results results/oo_lmdp --experiments fig2a fig2b \
        --ours results/oo_lmdp/ours.csv --summary results/oo_lmdp/summary.md
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from shared.runs import atomic_write_text


def summary_markdown(results: Path, experiments: list[str]) -> str:
    """Regret(K) mean ± std [20%, 80%] per setting (rows) and method (columns), with wall times."""
    lines = ["# oo_lmdp results", "",
             "Regret(K): cumulative expected regret at the last episode, mean ± std over runs [20%, 80% quantiles];",
             "tau_hat = min-block lambda_min(G_off)/M_off of the Optimal design (mean over runs).", ""]
    for name in experiments:
        timing = json.loads((results / name / "timing.json").read_text())
        summary = pd.read_csv(results / name / "summary.csv", keep_default_na=False, na_values=[""])
        summary["cell"] = summary.apply(
            lambda r: f"{r['mean']:.1f} ± {r['std']:.1f} [{r['q20']:.1f}, {r['q80']:.1f}]", axis=1)
        table = summary.pivot(index="setting", columns="method", values="cell")
        table = table.loc[list(dict.fromkeys(summary["setting"])), list(dict.fromkeys(summary["method"]))]
        table["tau_hat"] = summary.groupby("setting")["tau_hat_mean"].first().map("{:.4f}".format)
        seconds = timing["seconds"]
        lines += [f"## {name} ({timing['scale']} scale: {timing['runs']} runs, K = {timing['episodes']}; "
                  f"wall {seconds['total']:.0f} s on {timing['machine']})", "",
                  table.reset_index().to_markdown(index=False), ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results/oo_lmdp"))
    parser.add_argument("--experiments", nargs="+", required=True)
    parser.add_argument("--ours", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    args = parser.parse_args(argv)
    missing = [e for e in args.experiments if not (args.results / e / "cells.csv").is_file()]
    if missing:
        raise SystemExit(f"no results for experiment(s) {', '.join(missing)} under {args.results}")
    cells = pd.concat([pd.read_csv(args.results / e / "cells.csv") for e in args.experiments], ignore_index=True)
    atomic_write_text(args.ours, cells.to_csv(index=False, float_format="%.6g"))
    atomic_write_text(args.summary, summary_markdown(args.results, args.experiments))


if __name__ == "__main__":
    main()
