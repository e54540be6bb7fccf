"""Gather COMBO's runs into results/combo/ours.csv (the diff's input).

  python -m papers.combo.collect --scale quick --out results/combo/ours.csv results/combo/runs/*/*/final.json

Rows per seed:
  table4..table7          final normalised score of each candidate (method = the candidate, e.g. beta=0.5)
  table4_reg..table7_reg  its conservative regulariser E_rho[log sum exp Q] - E_D[Q] (mean over the last log
                          window and the two critics): the offline selection rule picks the lowest
  d4rl                    COMBO with the dataset's own per-dataset setting (vs Table 4's picked entries)
  table8                  COMBO (Ours) / CQL+MBPO returns on halfcheetah-jump, and the data's Batch Mean / Max
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from papers.combo import settings
from shared.config import scale_settings
from shared.model.tasks import JUMP
from shared.report.results import WRITTEN_COLUMNS, run_columns, run_rows
from shared.runs import atomic_write_text

TABLE8_METHODS = {"combo": "COMBO (Ours)", "cql_mbpo": "CQL+MBPO"}


def rows_of_run(cfg: dict, dataset: str, variant: str, final: dict, scale: str) -> list[dict]:
    rows = []
    regulariser = final["final_stats"].get("regulariser", [math.nan] * len(final["seeds"]))
    for table, d, label, v in settings.selection_candidates(cfg):
        if (d, v) == (dataset, variant):
            rows += run_rows(final, table, dataset, label, scale, final["final_score"])
            rows += run_rows(final, f"{table}_reg", dataset, label, scale, regulariser)
    algo, _ = settings.parse_variant(variant)
    if dataset == JUMP:
        rows += run_rows(final, "table8", dataset, TABLE8_METHODS[algo], scale, final["final_score"])
        if algo == "combo":
            for method, key in (("Batch Mean", "batch_mean_return"), ("Batch Max", "batch_max_return")):
                rows.append({"artifact": "table8", "setting": dataset, "method": method, "seed": 0,
                             "value": final[key], "diverged": False, **run_columns(final, scale)})
    elif variant == settings.default_variant(cfg, dataset):
        rows += run_rows(final, "d4rl", dataset, "COMBO", scale, final["final_score"])
    return rows


def collect(paths: list[Path], scale: str) -> pd.DataFrame:
    cfg = scale_settings("combo", scale)
    rows = []
    for path in sorted(paths):
        if path.name != "final.json" or len(path.parts) < 3:
            raise SystemExit(f"{path}: expected runs/<dataset>/<variant>/final.json")
        dataset, variant = path.parts[-3], path.parts[-2]
        try:
            settings.parse_variant(variant)
        except ValueError as err:
            raise SystemExit(f"{path}: {err}") from None
        rows += rows_of_run(cfg, dataset, variant, json.loads(path.read_text()), scale)
    return pd.DataFrame(rows, columns=list(WRITTEN_COLUMNS))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.combo.collect", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", required=True, choices=["tiny", "quick", "paper"])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("finals", nargs="*", type=Path)
    args = p.parse_args(argv)
    missing = [str(f) for f in args.finals if not f.exists()]
    if missing:
        raise SystemExit(f"missing run outputs: {', '.join(missing)}")
    ours = collect(args.finals, args.scale)
    atomic_write_text(args.out, ours.to_csv(index=False))
    print(f"ours.csv: {len(ours)} rows over {ours.groupby(['artifact', 'setting', 'method']).ngroups} cells")


if __name__ == "__main__":
    main()
