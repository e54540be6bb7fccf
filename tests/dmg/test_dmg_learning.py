"""Learning check: on a small generated hopper-medium dataset, DMG ends well above random, near the data's own
score, and not below BC.

The dataset is rolled out here (15k transitions) from the quick scale's D4RL-level hopper medium policy (`d4rl`:
the committed pin shared/data/pinned/d4rl/hopper or, failing that, one trained under data/; its data score about
39 D4RL-style). Both runs go through the training CLI, so data loading, normalisation, the loop and evaluation are
exercised end to end.

DMG runs with the paper's lambda = 0.25 but nu = 1 instead of hopper-medium's 0.1. Measured on this data (10
evaluation episodes per point): with nu = 0.1 most seeds fall at once (scores about 2) for the first 5k updates,
on 15k transitions (seeds 0-2 at 5k updates: 5.1, 2.8, 3.3) and on 50k (2.3, 2.7, 3.4), and a seed that rises
(31.6 at 2k updates) falls back by 4k; with nu = 1, 3k updates give 51.2 and 76.5, BC 36.6 and 39.5. The paper
trains 1M updates; no test budget can wait for nu = 0.1, so the check is about DMG's losses and loop.
"""
import dataclasses
import json

import pytest

from papers.dmg import train
from shared.data.generate import generate_dataset
from shared.data.loading import DEFAULT_ROOT, load_dataset
from shared.data.pinning import install_pinned
from shared.data.settings import PINNED_DIR, behaviour_dir, load_settings

STEPS, SEEDS, EPISODES = 3000, ["0", "1"], "10"
# A policy that falls at once scores ~1.8 on Hopper-v5 (D4RL's random reference is 0): the bar for "learned".
FALLS_AT_ONCE = 2.0


def behaviour_source(name):
    for candidate in (PINNED_DIR / name / "hopper", behaviour_dir(DEFAULT_ROOT, name, "hopper")):
        if (candidate / "behaviour.json").exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    settings = load_settings("quick")
    source = behaviour_source(settings.behaviour_name)
    if source is None:
        pytest.skip("no quick-scale hopper behaviour policy (pinned or under data/) to roll out a dataset from")
    root = tmp_path_factory.mktemp("data")
    if not install_pinned(source, behaviour_dir(root, settings.behaviour_name, "hopper"), settings, "hopper"):
        pytest.skip(f"{source} was made with other SAC settings than the quick config")
    small = dataclasses.replace(settings, transitions={**settings.transitions, "medium": 15_000})
    generate_dataset("hopper-medium", small, root)
    return root


def final_scores(algo, root, out):
    train.main(["--algo", algo, "--dataset", "hopper-medium", "--data-root", str(root), "--seeds", *SEEDS,
                "--steps", str(STEPS), "--eval-every", str(STEPS), "--eval-episodes", EPISODES,
                "--log-every", "500", *(["--set", "nu=1.0"] if algo == "dmg" else []), "--out", str(out)])
    final = json.loads((out / "final.json").read_text())
    assert not any(final["diverged"])
    return sum(final["final_score"]) / len(final["final_score"])


def test_dmg_learns_near_the_data_and_not_below_bc(data_root, tmp_path):
    data_score = load_dataset("hopper-medium", root=data_root).metadata["episode_normalized_mean"]
    assert data_score > 4 * FALLS_AT_ONCE, f"the medium data score {data_score:.1f}: not a medium policy"
    dmg = final_scores("dmg", data_root, tmp_path / "dmg")
    bc = final_scores("bc", data_root, tmp_path / "bc")
    assert bc > 0.5 * data_score, f"BC {bc:.1f} (data {data_score:.1f})"
    assert dmg > 0.75 * data_score, f"DMG {dmg:.1f} (data {data_score:.1f}, BC {bc:.1f})"
    assert dmg >= bc - 2.0, f"DMG {dmg:.1f} below BC {bc:.1f}"
