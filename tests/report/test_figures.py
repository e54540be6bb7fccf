import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba

from shared.report import figures


def _points(ax, color):
    """Offsets of the scatter points drawn in `color` (legend proxies have none)."""
    def drawn_in(colors):
        return len(colors) and np.allclose(colors[0], to_rgba(color))

    return [c.get_offsets() for c in ax.collections
            if len(c.get_offsets()) and (drawn_in(c.get_facecolor()) or drawn_in(c.get_edgecolor()))]


def test_sweep_marks_every_diverged_seed_and_draws_published_values(tmp_path):
    figures.apply_style()
    df = pd.DataFrame({"lam": [0.1, 0.1, 1.0, 1.0, 1.0], "score": [1.0, 2.0, np.nan, np.nan, 3.0],
                       "diverged": [False, False, True, True, False]})
    fig, ax = plt.subplots()
    figures.sweep(df, "lam", "score", ax=ax, published=pd.DataFrame({"lam": [0.1], "score": [1.5]}))
    crosses = _points(ax, "crimson")
    assert len(crosses) == 1 and crosses[0][:, 0].tolist() == [1.0, 1.0]
    stars = _points(ax, "black")
    assert len(stars) == 1 and stars[0].tolist() == [[0.1, 1.5]]
    labels = ax.get_legend_handles_labels()[1]
    assert "diverged seed (2)" in labels and "published" in labels
    path = figures.save(fig, tmp_path / "sweep.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_learning_curves_band_is_mean_plus_minus_std():
    df = pd.DataFrame({"step": [0, 0, 1, 1], "score": [0.0, 2.0, 1.0, 5.0]})
    ax = figures.learning_curves(df, "step", "score")
    line = ax.get_lines()[0]
    assert line.get_ydata().tolist() == [1.0, 3.0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    expected = [1.0 - np.sqrt(2), 1.0 + np.sqrt(2), 3.0 - np.sqrt(8), 3.0 + np.sqrt(8)]
    assert np.allclose(sorted(set(np.round(band, 9))), sorted(np.round(expected, 9)))
    plt.close(ax.figure)


def test_score_axis_keeps_a_minimum_span_so_noise_is_not_zoomed_into_a_trend():
    figures.apply_style()
    flat = pd.DataFrame({"lam": [0.0, 0.0, 0.25, 0.25, 1.0, 1.0], "score": [1.79, 1.80, 1.78, 1.79, 1.78, 1.78]})
    fig, ax = plt.subplots()
    figures.sweep(flat, "lam", "score", ax=ax, min_span=5.0)
    low, high = ax.get_ylim()
    assert abs((high - low) - 5.0) < 1e-9
    assert low < 1.78 and high > 1.80  # the data stay in view, centred
    wide = flat.assign(score=flat["score"] * 10)
    fig2, (ax2, plain) = plt.subplots(1, 2)
    figures.sweep(wide, "lam", "score", ax=ax2, min_span=0.05)
    figures.sweep(wide, "lam", "score", ax=plain)
    assert ax2.get_ylim() == plain.get_ylim()  # a span already wider is left to matplotlib
    fig3, ax3 = plt.subplots()
    figures.learning_curves(flat.rename(columns={"lam": "step"}), "step", "score", ax=ax3, min_span=5.0)
    assert ax3.get_ylim()[1] - ax3.get_ylim()[0] >= 5.0 - 1e-9
    plt.close("all")
