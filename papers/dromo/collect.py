"""Gather the extension runs into results/dromo/ours.csv.

  python -m papers.dromo.collect --scale quick --out results/dromo/ours.csv results/dromo/runs/*/*/final.json

Rows per seed (artifact, method = COMBO | DROMO (Eq. 13) | strict DROMO (Eq. 17)):
  extension      final normalised score
  extension_q    learned Q on dataset pairs (min of the twin critics, mean over the last log window)
  extension_reg  COMBO's conservative regulariser E_rho[log sum exp Q] - E_D[Q] of the same critic
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from papers.dromo.settings import METHOD_NAMES
from shared.report.results import WRITTEN_COLUMNS, run_rows
from shared.runs import atomic_write_text

STATS = {"extension_q": "q_mean", "extension_reg": "regulariser"}


def rows_of_run(dataset: str, algo: str, final: dict, scale: str) -> list[dict]:
    method, n = METHOD_NAMES[algo], len(final["seeds"])
    columns = {"extension": final["final_score"],
               **{artifact: final["final_stats"].get(stat, [math.nan] * n) for artifact, stat in STATS.items()}}
    return [row for artifact, values in columns.items()
            for row in run_rows(final, artifact, dataset, method, scale, values)]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.dromo.collect", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", required=True, choices=["tiny", "quick", "paper"])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("finals", nargs="*", type=Path)
    args = p.parse_args(argv)
    rows = []
    for path in sorted(args.finals):
        if not path.exists():
            raise SystemExit(f"missing run output {path}")
        if path.name != "final.json" or path.parts[-2] not in METHOD_NAMES:
            raise SystemExit(f"{path}: expected runs/<dataset>/<algo>/final.json, algo in {sorted(METHOD_NAMES)}")
        rows += rows_of_run(path.parts[-3], path.parts[-2], json.loads(path.read_text()), args.scale)
    ours = pd.DataFrame(rows, columns=list(WRITTEN_COLUMNS))
    atomic_write_text(args.out, ours.to_csv(index=False))
    print(f"ours.csv: {len(ours)} rows")


if __name__ == "__main__":
    main()
