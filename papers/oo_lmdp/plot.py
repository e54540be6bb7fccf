"""Draw one figure of the paper from an experiment's summary/curves CSVs.

    python -m papers.oo_lmdp.plot --figure fig2a --results results/oo_lmdp --out results/oo_lmdp/figures/fig2a.png

Lines are means over runs; shaded bands are the 20%-80% quantiles over runs (the authors compute them but do
not draw them).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from papers.oo_lmdp.outputs import ARTIFACT_METHODS  # noqa: E402
from shared.report.figures import apply_style, save  # noqa: E402

SOURCE = {"fig2a": "fig2a", "fig4a": "fig2a", "fig2b": "fig2b", "fig4b": "fig2b", "fig2c": "fig2c",
          "fig2d": "fig2d", "fig3": "fig3", "bounds": "bounds"}
SWEEP_AXIS = {"fig2a": ("delta", "environment shift Δ"), "fig4a": ("delta", "environment shift Δ"),
              "fig2b": ("m_off", "offline trajectories M_off"), "fig4b": ("m_off", "offline trajectories M_off"),
              "fig2c": ("tau", "coverage control τ (keep probability on S1)")}
TITLES = {"fig2a": "Fig. 2(a): robustness to Δ", "fig2b": "Fig. 2(b): offline sample size",
          "fig2c": "Fig. 2(c): coverage", "fig2d": "Fig. 2(d): offline probe design",
          "fig3": "Fig. 3: Δ–τ interaction", "fig4a": "Fig. 4(a): tabular baselines vs Δ",
          "fig4b": "Fig. 4(b): tabular baselines vs M_off", "bounds": "Measured regret vs proof quantity"}
RULE_LABEL = {"linear": "Δ = 0.5τ", "quadratic": "Δ = 50τ²", "cubic": "Δ = 5000τ³"}


def _band(ax, x, frame, color, label, **line):
    ax.plot(x, frame["mean"], color=color, label=label, **line)
    ax.fill_between(x, frame["q20"], frame["q80"], color=color, alpha=0.15, linewidth=0)


def _palette(methods):
    return dict(zip(methods, sns.color_palette("colorblind", len(methods))))


def sweep_figure(figure: str, summary: pd.DataFrame, episodes: str):
    column, label = SWEEP_AXIS[figure]
    methods = ARTIFACT_METHODS[figure]
    palette = _palette(methods)
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in methods:
        rows = summary[summary["method"] == method].sort_values(column)
        _band(ax, rows[column], rows, palette[method], method, marker="o", markersize=4)
    ax.set(xscale="log", xlabel=label, ylabel=f"Regret(K), K={episodes}", title=TITLES[figure])
    ax.legend(fontsize=8)
    return fig


def curve_figure(curves: pd.DataFrame):
    methods = ARTIFACT_METHODS["fig2d"]
    palette = _palette(methods)
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in methods:
        rows = curves[curves["method"] == method]
        _band(ax, rows["episode"], rows, palette[method], method)
        ax.plot(rows["episode"], rows["mean_first2"], color=palette[method], linestyle=":", linewidth=1)
    ax.plot([], [], color="grey", linestyle=":", linewidth=1, label="mean of runs 1-2 only (the authors' plot)")
    ax.set(xlabel="episode k", ylabel="cumulative regret", title=TITLES["fig2d"])
    ax.legend(fontsize=8)
    return fig


def delta_tau_figure(summary: pd.DataFrame, episodes: str):
    fig, ax = plt.subplots(figsize=(6, 4))
    rules = list(dict.fromkeys(summary["rule"]))
    palette = _palette(rules)
    ucrl = summary[(summary["method"] == "UCRL") & (summary["rule"] == rules[0])].sort_values("tau")
    _band(ax, ucrl["tau"], ucrl, "grey", "UCRL", marker="o", markersize=4)
    for rule in rules:
        rows = summary[(summary["method"] == "O-O UCRL-VTR (Optimal)") & (summary["rule"] == rule)].sort_values("tau")
        _band(ax, rows["tau"], rows, palette[rule], f"O-O UCRL-VTR, {RULE_LABEL.get(rule, rule)}", marker="o",
              markersize=4)
    ax.set(xscale="log", xlabel="coverage control τ", ylabel=f"Regret(K), K={episodes}", title=TITLES["fig3"])
    ax.legend(fontsize=8)
    return fig


def bounds_figure(curves: pd.DataFrame):
    settings = list(dict.fromkeys(curves["setting"]))
    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 4), squeeze=False)
    methods = list(dict.fromkeys(curves["method"]))
    palette = _palette(methods)
    for ax, setting in zip(axes[0], settings):
        for method in methods:
            rows = curves[(curves["setting"] == setting) & (curves["method"] == method)]
            slope = np.polyfit(np.log(rows["episode"][rows["episode"] >= rows["episode"].max() / 10]),
                               np.log(rows["mean"][rows["episode"] >= rows["episode"].max() / 10]), 1)[0]
            _band(ax, rows["episode"], rows, palette[method], f"{method}: regret (log-log slope {slope:.2f})")
            ax.plot(rows["episode"], rows["proof_bound_mean"], color=palette[method], linestyle="--",
                    label=f"{method}: Σ min{{H, 2β‖x‖, 2γ‖x‖}} [R]")
        ucrl = curves[(curves["setting"] == setting) & (curves["method"] == methods[0])]
        last = ucrl.iloc[-1]
        k = ucrl["episode"].to_numpy(dtype=float)
        ax.plot(k, last["mean"] * np.sqrt(k / last["episode"]), color="black", linestyle=":",
                label="√k shape of Term II (Thm 4.2), scaled to UCRL at K")
        ax.set(xscale="log", yscale="log", xlabel="episode k", ylabel="cumulative", title=f"{TITLES['bounds']}, {setting}, c = 1")
        ax.legend(fontsize=7)
    return fig


def draw(figure: str, results: Path):
    folder = results / SOURCE[figure]
    if figure in ("fig2d", "bounds"):
        curves = pd.read_csv(folder / "curves.csv")
        return curve_figure(curves) if figure == "fig2d" else bounds_figure(curves)
    summary = pd.read_csv(folder / "summary.csv")
    episodes = pd.read_json(folder / "timing.json", typ="series")["episodes"]
    return delta_tau_figure(summary, episodes) if figure == "fig3" else sweep_figure(figure, summary, episodes)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figure", required=True, help=", ".join(SOURCE))
    parser.add_argument("--results", type=Path, default=Path("results/oo_lmdp"), help="folder of experiment outputs")
    parser.add_argument("--out", type=Path, required=True, help="PNG path")
    args = parser.parse_args(argv)
    if args.figure not in SOURCE:
        raise SystemExit(f"--figure must be one of {', '.join(SOURCE)}, got {args.figure!r}")
    folder = args.results / SOURCE[args.figure]
    if not folder.is_dir():
        raise SystemExit(f"no results for {args.figure}: {folder} does not exist (run run_figure first)")
    apply_style()
    save(draw(args.figure, args.results), args.out)


if __name__ == "__main__":
    main()
