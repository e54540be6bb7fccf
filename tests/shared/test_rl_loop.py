"""The loop on a fixed dataset: data preparation, per-seed sampling, resume, stale-checkpoint guard, divergence
bookkeeping, outputs."""
import csv
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from papers.dmg.algorithm import DMG, DMGConfig
from shared.rl.loop import LoopSettings, train
from shared.rl.sources import FixedDataset, prepare_transitions
from shared.runs import Run

OBS, ACT, N = 4, 2, 500


def fake_dataset():
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(N, OBS, generator=g) * 3 + 1
    return SimpleNamespace(
        observations=obs, actions=torch.rand(N, ACT, generator=g) * 2 - 1,
        rewards=torch.randn(N, generator=g), next_observations=obs + 0.1,
        terminals=(torch.rand(N, generator=g) < 0.05).float(), timeouts=torch.zeros(N),
        obs_mean=obs.mean(0), obs_std=obs.std(0))


def fake_evaluate(act, n_members, episodes, seeds):
    """A deterministic stand-in for rollouts: the 'return' is the policy's mean action on per-seed fixed states."""
    assert len(seeds) == n_members
    obs = np.stack([np.random.default_rng(s).normal(size=(episodes, OBS)) for s in seeds]).astype(np.float32)
    returns = act(obs).mean(axis=-1)
    return returns, 100 * returns


def train_offline(algo, data, seeds, loop_settings, run, evaluate):
    return train(algo, FixedDataset(data, seeds), loop_settings, run, evaluate)


def dmg(seeds):
    return DMG(OBS, ACT, 1.0, seeds, DMGConfig(hidden=(16, 16)))


def settings(**kw):
    return LoopSettings(**{"steps": 40, "batch_size": 16, "eval_every": 20, "eval_episodes": 3, "log_every": 10,
                           **kw})


def test_prepare_normalises_with_std_plus_eps_and_shifts_rewards():
    ds = fake_dataset()
    data = prepare_transitions(ds, normalize_states=True, reward_scale=2.0, reward_shift=-1.0)
    assert torch.allclose(data.observations, (ds.observations - ds.obs_mean) / (ds.obs_std + 1e-3))
    assert torch.allclose(data.next_observations, (ds.next_observations - ds.obs_mean) / (ds.obs_std + 1e-3))
    assert torch.allclose(data.rewards, 2 * ds.rewards - 1)
    raw = prepare_transitions(ds, normalize_states=False)
    assert torch.equal(raw.observations, ds.observations)


def test_outputs_and_eval_cadence(tmp_path):
    final = train_offline(dmg([0, 1]), prepare_transitions(fake_dataset(), True), [0, 1], settings(),
                          Run(tmp_path, [0, 1]), fake_evaluate)
    rows = list(csv.DictReader(open(tmp_path / "eval.csv")))
    assert [(int(r["step"]), int(r["seed"])) for r in rows] == [(20, 0), (20, 1), (40, 0), (40, 1)]
    assert [m["step"] for m in map(json.loads, open(tmp_path / "metrics.jsonl"))] == [10, 20, 30, 40]
    on_disk = json.loads((tmp_path / "final.json").read_text())
    assert on_disk["final_score"] == pytest.approx([float(r["score"]) for r in rows[2:]])
    assert final["diverged"] == [False, False] and len(final["final_stats"]["q_mean"]) == 2


def test_vectorised_loop_equals_single_seed_loops(tmp_path):
    data = prepare_transitions(fake_dataset(), True)
    both = train_offline(dmg([5, 9]), data, [5, 9], settings(), Run(tmp_path / "both", [5, 9]), fake_evaluate)
    for k, seed in enumerate([5, 9]):
        alone = train_offline(dmg([seed]), data, [seed], settings(), Run(tmp_path / f"s{seed}", [seed]),
                              fake_evaluate)
        for name, values in alone["final_stats"].items():
            assert both["final_stats"][name][k] == pytest.approx(values[0], rel=1e-4, abs=1e-6), name
        assert both["final_score"][k] == pytest.approx(alone["final_score"][0], rel=1e-4, abs=1e-6)


def test_resume_after_kill_gives_identical_results(tmp_path):
    data = prepare_transitions(fake_dataset(), True)
    whole = train_offline(dmg([0, 1]), data, [0, 1], settings(), Run(tmp_path / "whole", [0, 1]), fake_evaluate)

    def dies_at_40(act, n, e, seed, calls=[]):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed after the step-20 checkpoint
        return fake_evaluate(act, n, e, seed)

    with pytest.raises(KeyboardInterrupt):
        train_offline(dmg([0, 1]), data, [0, 1], settings(), Run(tmp_path / "killed", [0, 1]), dies_at_40)
    resumed = train_offline(dmg([0, 1]), data, [0, 1], settings(), Run(tmp_path / "killed", [0, 1]), fake_evaluate)
    assert resumed["final_score"] == whole["final_score"]
    assert resumed["final_stats"] == whole["final_stats"]
    strip = lambda p: [{k: v for k, v in json.loads(line).items() if k != "updates_per_s"} for line in open(p)]
    assert strip(tmp_path / "killed" / "metrics.jsonl") == strip(tmp_path / "whole" / "metrics.jsonl")


def test_rerun_of_a_finished_run_keeps_its_results(tmp_path):
    data = prepare_transitions(fake_dataset(), True)
    first = train_offline(dmg([0, 1]), data, [0, 1], settings(), Run(tmp_path, [0, 1]), fake_evaluate)
    again = train_offline(dmg([0, 1]), data, [0, 1], settings(), Run(tmp_path, [0, 1]), fake_evaluate)
    assert again["final_stats"] == first["final_stats"] and again["final_score"] == first["final_score"]


def test_checkpoint_from_other_data_is_not_resumed(tmp_path):
    data = prepare_transitions(fake_dataset(), True)
    train_offline(dmg([0, 1]), data, [0, 1], settings(), Run(tmp_path / "run", [0, 1]), fake_evaluate)
    changed = prepare_transitions(fake_dataset(), True, reward_scale=2.0)   # e.g. a regenerated dataset
    rerun = train_offline(dmg([0, 1]), changed, [0, 1], settings(), Run(tmp_path / "run", [0, 1]), fake_evaluate)
    fresh = train_offline(dmg([0, 1]), changed, [0, 1], settings(), Run(tmp_path / "fresh", [0, 1]), fake_evaluate)
    assert rerun["final_stats"] == fresh["final_stats"]
    strip = lambda p: [{k: v for k, v in json.loads(line).items() if k != "updates_per_s"} for line in open(p)]
    assert strip(tmp_path / "run" / "metrics.jsonl") == strip(tmp_path / "fresh" / "metrics.jsonl")


class ExplodingSeed:
    """Seed 1's statistics become non-finite (or huge) from step 15 on; seed 0 stays healthy."""

    seeds = [0, 1]

    def __init__(self, value):
        self.value = value

    def setup(self, data):
        pass

    def update(self, batch, step):
        q = torch.tensor([1.0, self.value if step >= 15 else 1.0])
        return {"q_mean": q}

    def act(self, obs, deterministic=True):
        return torch.zeros(*obs.shape[:2], ACT)

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


@pytest.mark.parametrize("value, q_limit", [(math.nan, math.inf), (1e9, 1e6)])
def test_divergence_is_recorded_per_seed(tmp_path, value, q_limit):
    final = train_offline(ExplodingSeed(value), prepare_transitions(fake_dataset(), True), [0, 1],
                          settings(q_limit=q_limit), Run(tmp_path, [0, 1]), fake_evaluate)
    assert final["diverged"] == [False, True]
    assert json.loads((tmp_path / "diverged.json").read_text())["1"]["step"] == 20
    assert not math.isnan(final["final_score"][0]) and math.isnan(final["final_score"][1])


def test_bad_settings_fail_clearly():
    with pytest.raises(ValueError, match="eval_every"):
        LoopSettings(steps=100, eval_every=15, log_every=10)
    with pytest.raises(ValueError, match="steps"):
        LoopSettings(steps=0)


class CountsSetup(ExplodingSeed):
    def __init__(self):
        super().__init__(1.0)
        self.setups = 0

    def setup(self, data):
        assert isinstance(data.observations, torch.Tensor)
        self.setups += 1


def test_setup_runs_on_fresh_runs_only(tmp_path):
    data = prepare_transitions(fake_dataset(), True)
    fresh, again = CountsSetup(), CountsSetup()
    train_offline(fresh, data, [0, 1], settings(), Run(tmp_path, [0, 1]), fake_evaluate)
    train_offline(again, data, [0, 1], settings(), Run(tmp_path, [0, 1]), fake_evaluate)   # resumes at the end
    assert (fresh.setups, again.setups) == (1, 0)
