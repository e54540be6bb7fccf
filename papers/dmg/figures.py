"""DMG's figures from our runs (seaborn, the project's style).

  python -m papers.dmg.figures sweep   --sweeps results/dmg/sweeps.csv --kind lambda --out figures/figure1.png
  python -m papers.dmg.figures sweep   --sweeps results/dmg/sweeps.csv --kind nu     --out figures/figure2.png
  python -m papers.dmg.figures runtime --runtime results/dmg/runtime.csv             --out figures/figure3.png
  python -m papers.dmg.figures curves  --title "..." --out figures/figure4.png runs/table2/*/dmg/eval.csv

Figures 1-2: final score and learned Q (min of the twin critics on dataset pairs, mean over the last logging
window) per swept value, mean ± std over seeds, every diverged seed a red cross. Figure 3: hours per 1M updates
measured on our hardware. Figures 4-6: normalised score vs step, mean ± std over seeds, one panel per dataset.
A figure whose runs are not part of the active scale is drawn as a panel saying so.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from shared.report import figures as style
from shared.report.figures import curves_figure, not_run

SWEEP_LABELS = {"lambda": ("mixture coefficient $\\lambda$ ($\\nu$ = 0.1)", False),
                "nu": ("penalty coefficient $\\nu$ ($\\lambda$ = 0.25)", True)}


def sweep_figure(sweeps: pd.DataFrame, kind: str, out: Path) -> None:
    data = sweeps[sweeps["sweep"] == kind]
    title = f"Figure {1 if kind == 'lambda' else 2}: score and learned Q vs {kind}"
    if data.empty:
        return not_run(out, title, f"no {kind} sweep configured")
    style.apply_style()
    datasets = list(dict.fromkeys(data["dataset"]))
    xlabel, logx = SWEEP_LABELS[kind]
    fig, axes = plt.subplots(2, len(datasets), figsize=(4.5 * len(datasets), 7), squeeze=False)
    for j, dataset in enumerate(datasets):
        d = data[data["dataset"] == dataset]
        style.sweep(d, x="value", y="score", ax=axes[0, j], title=dataset, xlabel=xlabel,
                    ylabel="normalised score", logx=logx)
        style.sweep(d, x="value", y="q", ax=axes[1, j], xlabel=xlabel, ylabel="learned Q", logx=logx)
        if (d["q"].abs() > 0).all() and d["q"].abs().max() / max(d["q"].abs().min(), 1e-9) > 100:
            axes[1, j].set_yscale("symlog")
    fig.tight_layout()
    fig.suptitle(title, y=1.02)
    style.save(fig, out)


def runtime_figure(runtime: pd.DataFrame, out: Path) -> None:
    title = "Figure 3: training time per algorithm (measured by us)"
    if runtime.empty:
        return not_run(out, title, "no Table 2 runs on the runtime dataset")
    style.apply_style()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    order = runtime.sort_values("hours_per_1m_updates_per_seed")
    sns.barplot(data=order, x="method", y="hours_per_1m_updates_per_seed", ax=ax, color=sns.color_palette()[0])
    for i, row in enumerate(order.itertuples()):
        ax.text(i, row.hours_per_1m_updates_per_seed, f"{row.hours_per_1m_updates_per_seed:.1f} h\n"
                f"({row.updates_per_s:.0f} upd/s, {row.seeds} seeds)", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(top=ax.get_ylim()[1] * 1.2)  # room for the labels above the bars
    device = ", ".join(sorted(set(runtime["device"])))
    ax.set(xlabel="", ylabel="hours per 1M updates per seed",
           title=f"{title}\n{runtime['dataset'].iloc[0]}, {device}; training updates only, evaluation excluded")
    style.save(fig, out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.dmg.figures", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="figure", required=True)
    s = sub.add_parser("sweep", help="Figures 1-2")
    s.add_argument("--sweeps", type=Path, required=True)
    s.add_argument("--kind", choices=sorted(SWEEP_LABELS), required=True)
    r = sub.add_parser("runtime", help="Figure 3")
    r.add_argument("--runtime", type=Path, required=True)
    c = sub.add_parser("curves", help="Figures 4-6")
    c.add_argument("--title", required=True)
    c.add_argument("--why-empty", default="these runs are not part of the active scale")
    c.add_argument("evals", nargs="*", type=Path, help="eval.csv files")
    for parser in (s, r, c):
        parser.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    inputs = {"sweep": lambda: [args.sweeps], "runtime": lambda: [args.runtime], "curves": lambda: args.evals}
    missing = [str(f) for f in inputs[args.figure]() if not f.exists()]
    if missing:
        raise SystemExit(f"missing input files: {', '.join(missing)}")
    if args.figure == "sweep":
        sweep_figure(pd.read_csv(args.sweeps), args.kind, args.out)
    elif args.figure == "runtime":
        runtime = pd.read_csv(args.runtime) if args.runtime.stat().st_size > 1 else pd.DataFrame()
        runtime_figure(runtime, args.out)
    else:
        curves_figure(args.evals, args.title, args.out, args.why_empty)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
