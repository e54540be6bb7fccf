"""One seaborn style for every figure, and the two plot kinds the papers need: learning curves and sweeps."""
from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from shared.runs import atomic_write_bytes  # noqa: E402

PUBLISHED_STYLE = dict(marker="*", s=160, edgecolor="black", linewidth=0.6, zorder=5)
DIVERGED_STYLE = dict(marker="x", s=60, color="crimson", linewidth=1.5, zorder=6)


def apply_style() -> None:
    """The project's figure style; call it before drawing."""
    sns.set_theme(style="whitegrid", context="paper", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "savefig.bbox": "tight", "legend.frameon": False})


def save(fig: plt.Figure, path: Path | str) -> Path:
    """Write the figure as PNG atomically (a killed job leaves no half image) and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def ensure_min_span(ax, min_span: float | None) -> None:
    """Widen the y axis to at least `min_span` around its centre, so a spread of noise is not zoomed into a
    trend (a score axis of 0.02 points draws seed noise as a slope)."""
    if not min_span:
        return
    low, high = ax.get_ylim()
    if high - low < min_span:
        centre = (low + high) / 2
        ax.set_ylim(centre - min_span / 2, centre + min_span / 2)


def all_diverged_panel(ax, df: pd.DataFrame, y: str, title: str | None = None) -> bool:
    """When `df` has rows but no finite `y` (every seed diverged), draw `ax` as a panel saying so and return True:
    the figure still appears, and nothing is left for a log or min-span axis to choke on."""
    if df.empty or np.isfinite(df[y].astype(float)).any():
        return False
    runs = df["seed"].nunique() if "seed" in df.columns else len(df)
    ax.set(xticks=[], yticks=[], title=title)
    ax.grid(False)
    ax.text(0.5, 0.5, f"all seeds diverged\n({runs} seeds, no finite {y})", transform=ax.transAxes, ha="center",
            va="center", color=DIVERGED_STYLE["color"])
    return True


def _axes(ax):
    if ax is None:
        apply_style()
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def _published_markers(ax, published: pd.DataFrame | None, x, y, hue, palette: dict) -> None:
    """Published values as stars (with their spread as error bars where the paper gives one)."""
    if published is None or published.empty:
        return
    for _, row in published.iterrows():
        color = palette.get(row[hue], "black") if hue else "black"
        spread = row.get("spread", np.nan)
        if pd.notna(spread):
            ax.errorbar(row[x], row[y], yerr=spread, fmt="none", ecolor=color, capsize=3, zorder=4)
        ax.scatter([row[x]], [row[y]], color=color, **PUBLISHED_STYLE)
    ax.scatter([], [], color="grey", label="published", **PUBLISHED_STYLE)


def _palette(df: pd.DataFrame, published: pd.DataFrame | None, hue: str | None) -> dict:
    if hue is None:
        return {}
    levels = list(dict.fromkeys(list(df[hue].dropna()) + (list(published[hue]) if published is not None else [])))
    return dict(zip(levels, sns.color_palette("colorblind", len(levels))))


def learning_curves(
    df: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    ax=None,
    published: pd.DataFrame | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    min_span: float | None = None,
):
    """Mean over seeds (one row per seed and x in `df`) with a ±1 std band per `hue` level; the y axis spans at
    least `min_span` (see ensure_min_span).

    `published` (columns x, y, hue and optionally `spread`) is drawn as stars, e.g. the paper's final scores
    placed at the last training step.
    """
    ax = _axes(ax)
    if all_diverged_panel(ax, df, y, title):
        return ax
    palette = _palette(df, published, hue)
    sns.lineplot(data=df, x=x, y=y, hue=hue, errorbar="sd", ax=ax, palette=palette or None)
    _published_markers(ax, published, x, y, hue, palette)
    ax.set(title=title, xlabel=xlabel or x, ylabel=ylabel or y)
    ensure_min_span(ax, min_span)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    return ax


def sweep(
    df: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    diverged: str = "diverged",
    ax=None,
    published: pd.DataFrame | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    logx: bool = False,
    min_span: float | None = None,
):
    """Final score against a swept parameter: mean ± std over the seeds that did not diverge, per-seed dots,
    and a red cross on the x axis for every diverged seed (so divergence is visible, not a gap); the y axis
    spans at least `min_span` (see ensure_min_span).
    """
    ax = _axes(ax)
    if all_diverged_panel(ax, df, y, title):
        return ax
    palette = _palette(df, published, hue)
    is_diverged = df[diverged].astype(bool) if diverged in df.columns else pd.Series(False, index=df.index)
    alive = df[~is_diverged & np.isfinite(df[y].astype(float))]
    if not alive.empty:
        sns.lineplot(data=alive, x=x, y=y, hue=hue, errorbar="sd", marker="o", err_style="bars", ax=ax,
                     palette=palette or None)
        ax.scatter(alive[x], alive[y], s=10, color="grey", alpha=0.5, zorder=3)
    dead = df[is_diverged]
    if not dead.empty:
        # on the x axis itself (x in data units, y in axes units), wherever the y limits end up
        ax.scatter(dead[x], np.zeros(len(dead)), transform=ax.get_xaxis_transform(), clip_on=False, **DIVERGED_STYLE)
        ax.scatter([], [], label=f"diverged seed ({len(dead)})", **DIVERGED_STYLE)
    _published_markers(ax, published, x, y, hue, palette)
    if logx:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel or x, ylabel=ylabel or y)
    ensure_min_span(ax, min_span)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    return ax


def not_run(out: Path, title: str, why: str) -> None:
    """A figure whose runs are not part of the active scale: a panel saying so, never a silent gap."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{title}\n\nnot run at this scale: {why}", ha="center", va="center", wrap=True)
    save(fig, out)


def read_curves(paths: list[Path]) -> pd.DataFrame:
    """eval.csv files of runs/<group>/<dataset>/<variant>/ -> one frame with dataset and variant columns."""
    frames = []
    for path in paths:
        df = pd.read_csv(path)
        df["dataset"], df["variant"] = path.parts[-3], path.parts[-2]
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def curves_figure(paths: list[Path], title: str, out: Path, why_empty: str, min_span: float | None = None) -> None:
    """Normalised score vs step from eval.csv files, mean ± std over seeds, one panel per dataset; each score
    axis spans at least `min_span` (see ensure_min_span)."""
    data = read_curves(paths)
    if data.empty:
        return not_run(out, title, why_empty)
    apply_style()
    datasets = list(dict.fromkeys(data["dataset"]))
    cols = min(5, len(datasets))
    rows = math.ceil(len(datasets) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
    hue = "variant" if data["variant"].nunique() > 1 else None
    for ax, dataset in zip(axes.flat, datasets):
        learning_curves(data[data["dataset"] == dataset], x="step", y="score", hue=hue, ax=ax,
                        title=dataset, xlabel="step", ylabel="normalised score", min_span=min_span)
    for ax in list(axes.flat)[len(datasets):]:
        ax.axis("off")
    fig.tight_layout()
    fig.suptitle(f"{title} (mean ± std over seeds)", y=1.02)
    save(fig, out)
