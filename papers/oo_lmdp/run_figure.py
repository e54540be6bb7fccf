"""Run one experiment (one sweep of the paper) and write its results.

    python -m papers.oo_lmdp.run_figure --experiment fig2a --scale quick --out results/oo_lmdp/fig2a

Writes <out>/final.csv (per run), summary.csv, curves.csv, cells.csv (ours.csv rows), timing.json and the bulk
per-episode arrays to <runs-dir>/<experiment>.npz.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from papers.oo_lmdp.cli import CONFIG, checked, experiment_spec, load_scale
from papers.oo_lmdp.experiments import run_experiment
from papers.oo_lmdp import outputs
from shared.config import json_mapping
from shared.provenance import machine_info, machine_text


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", required=True, help="fig2a, fig2b, fig2c, fig2d, fig3 or bounds")
    parser.add_argument("--scale", default="quick", help="tiny | quick | paper (default quick)")
    parser.add_argument("--out", required=True, type=Path, help="output folder for the small result files")
    parser.add_argument("--runs-dir", type=Path, default=Path("results/oo_lmdp/runs"), help="folder for bulk arrays")
    parser.add_argument("--config", type=Path, default=CONFIG, help="settings file (config/papers/oo_lmdp.yaml)")
    parser.add_argument("--settings", type=json_mapping,
                        help="the resolved settings as JSON, instead of --config at --scale (the pipeline passes them)")
    parser.add_argument("--runs", type=int, help="override the number of runs (profiling)")
    parser.add_argument("--episodes", type=int, help="override K (profiling)")
    parser.add_argument("--probe-index-shift", type=int, choices=(0, 1),
                        help="override probe indexing: 0 = paper (Eq. 7), 1 = the authors' code")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    settings = checked(args.settings, "--settings") if args.settings is not None else load_scale(args.scale, args.config)
    spec = experiment_spec(settings, args.experiment)
    for key in ("runs", "episodes"):
        value = getattr(args, key)
        if value is not None:
            if value < 1:
                raise SystemExit(f"--{key} must be >= 1, got {value}")
            spec[key] = value
    if args.probe_index_shift is not None:
        settings = {**settings, "probe_index_shift": args.probe_index_shift}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        result = run_experiment(args.experiment, spec, settings)
    except ValueError as error:
        raise SystemExit(f"bad settings for {args.experiment}: {error}") from None
    final = outputs.final_table(result)
    outputs.write_csv(final, args.out / "final.csv")
    outputs.write_csv(outputs.summary_table(final), args.out / "summary.csv")
    outputs.write_csv(outputs.curve_table(result), args.out / "curves.csv")
    machine = machine_text(machine_info())
    outputs.write_csv(outputs.ours_rows(final, spec["figures"], args.scale, machine), args.out / "cells.csv")
    outputs.write_arrays(result, args.runs_dir / f"{args.experiment}.npz")
    outputs.write_timing(result, args.out / "timing.json", {
        "experiment": args.experiment, "scale": args.scale, "runs": spec["runs"], "episodes": spec["episodes"],
        "probe_index_shift": settings["probe_index_shift"],
        "machine": f"{machine} (shared with other jobs)",
    })
    logging.info("%s: wrote %s in %.1fs", args.experiment, args.out, result.seconds["total"])


if __name__ == "__main__":
    main()
