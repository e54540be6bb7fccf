"""OVR's Figures 1-3 from our runs: normalised score vs BCQ update, mean ± std over seeds, one panel per dataset,
one line per method (the project's shared learning-curve figure).

  python -m papers.ovr.figures --title "Figure 1: ..." --out results/ovr/figures/figure1.png \
      results/ovr/runs/table1/*/*/eval.csv

A figure without runs at the active scale is drawn as a panel saying so.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from shared.report.figures import curves_figure


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.ovr.figures", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--title", required=True, help="the figure's title, with what was assumed")
    p.add_argument("--why-empty", default="its runs are not in config/papers/ovr.yaml at this scale")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("evals", nargs="*", type=Path, help="eval.csv files of the runs")
    args = p.parse_args(argv)
    missing = [str(f) for f in args.evals if not f.exists()]
    if missing:
        raise SystemExit(f"missing input files: {', '.join(missing)}")
    curves_figure(args.evals, args.title, args.out, args.why_empty)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
