"""A figure whose seeds all diverged is drawn with an "all seeds diverged" panel, never a crash (a log-scaled
axis with no finite value used to end the Figure 2 job)."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from papers.dmg.figures import sweep_figure
from shared.report import figures


def _sweep_rows(dataset, finite):
    return [dict(sweep="nu", dataset=dataset, value=v, seed=s, score=1.0 + s if finite else np.nan,
                 q=2.0 if finite else np.nan, diverged=not finite) for v in (10.0, 0.1) for s in (0, 1)]


def test_all_diverged_sweep_on_a_log_axis_is_a_panel(tmp_path):
    out = tmp_path / "figure2.png"
    sweep_figure(pd.DataFrame(_sweep_rows("hopper-medium", False) + _sweep_rows("walker2d-medium", True)), "nu", out)
    assert out.stat().st_size > 0


def test_panel_only_when_nothing_finite_is_left():
    _, ax = plt.subplots()
    dead = pd.DataFrame({"seed": [0, 1], "score": [np.nan, np.inf]})
    assert figures.all_diverged_panel(ax, dead, "score", "t")
    assert "all seeds diverged" in ax.texts[0].get_text() and "2 seeds" in ax.texts[0].get_text()
    assert not figures.all_diverged_panel(ax, dead.assign(score=[np.nan, 1.0]), "score")
    assert not figures.all_diverged_panel(ax, dead.iloc[:0], "score")  # no runs at all: not "diverged"
    plt.close("all")
