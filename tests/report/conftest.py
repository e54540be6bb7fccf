"""A synthetic paper (published.yaml + ours.csv in tmp dirs) for the report tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

PUBLISHED = """\
paper: synth
title: "A synthetic paper"
source: 999_synthetic.txt
artifacts:
  - id: table1
    kind: table
    caption: "Normalised scores"
    source: "Table 1"
    score_kind: d4rl_normalised
    data: "D4RL v2"
    checkpoint: final
    seeds: 5
    spread_kind: std
    totals:
      - {setting: "total", over: [hopper-medium, walker2d-medium]}
    cells:
      - {setting: hopper-medium, method: NEW, mean: 60.0, spread: 2.0}
      - {setting: hopper-medium, method: OLD, mean: 50.0, spread: 2.0}
      - {setting: walker2d-medium, method: NEW, mean: 80.0, spread: 1.0}
      - {setting: walker2d-medium, method: OLD, mean: 70.0, spread: 1.0}
      - {setting: halfcheetah-medium, method: NEW, mean: 45.0, spread: 0.5}
      - {setting: total, method: NEW, mean: 140.0}
      - {setting: total, method: OLD, mean: 120.0}
  - id: figure1
    kind: figure
    caption: "Score against lambda"
    source: "Figure 1"
    score_kind: d4rl_normalised
    data: "D4RL v2"
    checkpoint: final
    seeds: 5
    spread_kind: none
    cells:
      - {setting: "lambda=0.25 hopper-medium", method: NEW, mean: 60.0, note: "read off the plot"}
      - {setting: "lambda=1.0 hopper-medium", method: NEW, mean: 5.0}
  - id: figure2
    kind: figure
    caption: "Learning curves"
    source: "Figure 2"
    score_kind: d4rl_normalised
    data: "D4RL v2"
    checkpoint: final
    seeds: 5
    spread_kind: none
    cells: []
"""


def ours_rows(artifact, setting, method, values, data="D4RL v2", scale="tiny"):
    return [dict(artifact=artifact, setting=setting, method=method, seed=seed, value=value,
                 diverged=not np.isfinite(value), data=data, scale=scale) for seed, value in enumerate(values)]


def default_ours() -> pd.DataFrame:
    rows = (ours_rows("table1", "hopper-medium", "NEW", [59.0, 61.0, 60.5, 58.5, 61.0])
            + ours_rows("table1", "hopper-medium", "OLD", [40.0, 41.0, 39.0, 40.5, 39.5])
            + ours_rows("table1", "walker2d-medium", "NEW", [80.0, 79.0, 81.0, 80.5, 79.5])
            + ours_rows("table1", "walker2d-medium", "OLD", [70.0, 69.0, 71.0, 70.0, 70.0])
            + ours_rows("figure1", "lambda=0.25 hopper-medium", "NEW", [58.0, 62.0, 60.0])
            + ours_rows("figure1", "lambda=1.0 hopper-medium", "NEW", [np.nan, 4.0, 6.0]))
    return pd.DataFrame(rows)


@pytest.fixture
def synth(tmp_path: Path):
    """(papers_dir, results_dir) holding the synthetic paper `synth`; halfcheetah-medium is not run."""
    papers, results = tmp_path / "papers", tmp_path / "results"
    (papers / "synth").mkdir(parents=True)
    (results / "synth").mkdir(parents=True)
    (papers / "synth" / "published.yaml").write_text(textwrap.dedent(PUBLISHED))
    default_ours().to_csv(results / "synth" / "ours.csv", index=False)
    return papers, results
