"""Offline-to-online fine-tuning: the lambda / nu schedule, the mixed replay buffer, and short end-to-end runs
(offline train -> fine-tune) on a tiny synthetic Hopper dataset, including an exact resume after a kill."""
import csv
import json
import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import shared.data
from papers.dmg import finetune, train
from shared.rl.buffers import ReplayBuffer
from shared.rl.envs import SeedEnvs
from shared.data.loading import OfflineDataset
from shared.nets import seed_generators

SMALL_NET = ["--set", "hidden=[32,32]"]


def test_decay_schedule_follows_the_formula():
    decay = finetune.DecaySchedule(lam_start=0.25, nu_start=0.5)
    assert decay.nu_end == pytest.approx(0.005)  # 1% of nu, as App. C.2 states
    assert decay.at(1) == (0.25, 0.5) and decay.at(999) == (0.25, 0.5)
    lam, nu = decay.at(1000)
    assert lam == pytest.approx(0.5 - 0.25 * 0.99) and nu == pytest.approx(0.005 + 0.495 * 0.99)
    lam, nu = decay.at(250_500)  # 250 decays
    assert lam == pytest.approx(0.5 - 0.25 * 0.99 ** 250) and nu == pytest.approx(0.005 + 0.495 * 0.99 ** 250)
    lam, nu = decay.at(1_000_000)
    assert lam == pytest.approx(0.5, abs=1e-4) and nu == pytest.approx(0.005, abs=1e-4)


def test_replay_buffer_mixes_shared_offline_data_with_each_seeds_online_data():
    offline = {"observations": torch.zeros(4, 2), "actions": torch.zeros(4, 1), "rewards": torch.zeros(4),
               "next_observations": torch.zeros(4, 2), "terminals": torch.zeros(4)}
    buffer = ReplayBuffer(offline, n_members=2, capacity=4, obs_dim=2, act_dim=1)
    for t in range(4):  # online rewards encode (seed, time): seed 0 -> 1 + t, seed 1 -> 11 + t
        buffer.add(observations=torch.ones(2, 2), actions=torch.ones(2, 1),
                   rewards=torch.tensor([1.0 + t, 11.0 + t]), next_observations=torch.ones(2, 2),
                   terminals=torch.ones(2))
    batch = buffer.sample(seed_generators([0, 1]), 4000)
    rewards = batch["rewards"]
    assert set(rewards[0].unique().tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert set(rewards[1].unique().tolist()) == {0.0, 11.0, 12.0, 13.0, 14.0}
    assert (rewards == 0).float().mean().item() == pytest.approx(0.5, abs=0.03)  # uniform over 4 + 4
    online = rewards > 0  # every field of a row comes from the same transition
    assert torch.equal(batch["terminals"] > 0, online) and torch.equal(batch["observations"][..., 0] > 0, online)
    with pytest.raises(RuntimeError, match="buffer full"):
        buffer.add(**{k: v[:, 0] for k, v in batch.items()})


def test_seed_envs_resume_bit_exactly():
    a = SeedEnvs("Hopper-v5", [3, 4])
    actions = np.random.default_rng(0).uniform(-1, 1, (60, 2, 3))
    for t in range(30):
        a.step(actions[t])
    b = SeedEnvs("Hopper-v5", [7, 8])
    b.load_state_dict(a.state_dict())
    for t in range(30, 60):  # crosses episode resets (random actions make Hopper fall quickly)
        out_a, out_b = a.step(actions[t]), b.step(actions[t])
        for x, y in zip(out_a, out_b):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.obs, b.obs)


@pytest.fixture
def tiny_hopper(monkeypatch):
    """A 600-transition random-policy Hopper-v5 dataset served by shared.data.load_dataset."""
    env = gym.make("Hopper-v5")
    rng = np.random.default_rng(0)
    rows = {k: [] for k in ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")}
    obs, _ = env.reset(seed=0)
    for _ in range(600):
        action = rng.uniform(-1, 1, 3)
        next_obs, reward, term, trunc, _ = env.step(action)
        for key, value in zip(rows, (obs, action, reward, next_obs, float(term), float(trunc))):
            rows[key].append(value)
        obs = env.reset()[0] if term or trunc else next_obs
    tensors = {k: torch.as_tensor(np.array(v), dtype=torch.float32) for k, v in rows.items()}
    dataset = OfflineDataset(**tensors, obs_mean=tensors["observations"].mean(0),
                             obs_std=tensors["observations"].std(0), env_id="Hopper-v5",
                             metadata={"ref_min_score": -20.272305, "ref_max_score": 3234.3})
    monkeypatch.setattr(shared.data, "load_dataset", lambda *args, **kwargs: dataset)
    return dataset


def offline_run(tmp_path, algo: str) -> str:
    out = str(tmp_path / f"offline-{algo}")
    train.main(["--algo", algo, "--dataset", "hopper-medium", "--seeds", "0", "1", "--steps", "20",
                "--batch-size", "32", "--eval-every", "20", "--eval-episodes", "1", "--log-every", "10",
                *SMALL_NET, "--out", out])
    return out


def finetune_args(method: str, offline: str, out, steps: int = 60) -> list[str]:
    return ["--method", method, "--dataset", "hopper-medium", "--offline-run", offline, "--online-steps", str(steps),
            "--batch-size", "32", "--eval-every", "30", "--eval-episodes", "1", "--log-every", "10",
            "--decay-every", "20", "--out", str(out)]


def read_eval(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("method", ["dmg", "iql"])
def test_finetune_end_to_end_from_an_offline_run(tmp_path, tiny_hopper, method):
    offline = offline_run(tmp_path, method)
    final = finetune.main(finetune_args(method, offline, tmp_path / "ft"))
    saved = json.loads((tmp_path / "ft" / "final.json").read_text())
    assert saved["seeds"] == [0, 1] and len(saved["offline_score"]) == len(saved["online_score"]) == 2
    assert all(math.isfinite(s) for s in saved["offline_score"] + saved["online_score"])
    assert saved["label"].startswith("stand-in") and final["method"] == method
    # The step-0 evaluation is the offline policy: it matches the offline run's own last evaluation.
    offline_final = json.loads((tmp_path / f"offline-{method}" / "final.json").read_text())
    assert saved["offline_return"][0] == pytest.approx(offline_final["final_return"][0])  # same eval seed (100)
    assert [int(r["step"]) for r in read_eval(tmp_path / "ft" / "eval.csv")] == [0, 0, 30, 30, 60, 60]
    metrics = [json.loads(line) for line in (tmp_path / "ft" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [10, 20, 30, 40, 50, 60]
    if method == "dmg":  # decay every 20 updates: lambda rises from 0.25 towards 0.5, nu falls from 0.1
        lam = [m["lam"][0] for m in metrics]
        assert lam[0] < lam[-1] < 0.5 and metrics[-1]["nu"][0] < 0.1
        window = [0.5 - 0.25 * 0.99 ** (u // 20) for u in range(51, 61)]  # logged: mean over updates 51..60
        assert lam[-1] == pytest.approx(sum(window) / 10)


def test_finetune_resumes_exactly_after_a_kill(tmp_path, tiny_hopper, killed_at_update, metrics_of):
    offline = offline_run(tmp_path, "dmg")
    finetune.main(finetune_args("dmg", offline, tmp_path / "whole"))
    killed_at_update(45, finetune.main, finetune_args("dmg", offline, tmp_path / "killed"))
    finetune.main(finetune_args("dmg", offline, tmp_path / "killed"))  # resumes from the step-30 checkpoint

    assert read_eval(tmp_path / "whole" / "eval.csv") == read_eval(tmp_path / "killed" / "eval.csv")
    assert metrics_of(tmp_path / "whole") == metrics_of(tmp_path / "killed")


def test_td3_from_scratch_runs_without_offline_data(tmp_path, tiny_hopper):
    final = finetune.main(["--method", "td3", "--dataset", "hopper-medium", "--seeds", "3", "--online-steps", "40",
                           "--start-steps", "20", "--batch-size", "16", "--eval-every", "40", "--eval-episodes", "1",
                           "--log-every", "10", *SMALL_NET, "--out", str(tmp_path / "td3")])
    assert final["seeds"] == [3] and math.isfinite(final["online_score"][0])
    metrics = [json.loads(line) for line in (tmp_path / "td3" / "metrics.jsonl").read_text().splitlines()]
    assert "critic_loss" not in metrics[1] and "critic_loss" in metrics[2]  # no updates during warm-up


def test_bad_inputs_fail_with_one_clear_line(tmp_path, tiny_hopper):
    with pytest.raises(SystemExit, match="needs --offline-run"):
        finetune.main(["--method", "dmg", "--dataset", "hopper-medium", "--online-steps", "5", "--out", "x"])
    with pytest.raises(SystemExit, match="no final.json"):
        finetune.main(finetune_args("dmg", str(tmp_path), tmp_path / "ft"))
    offline = offline_run(tmp_path, "iql")
    with pytest.raises(SystemExit, match="not dmg on hopper-medium"):
        finetune.main(finetune_args("dmg", offline, tmp_path / "ft"))
    with pytest.raises(SystemExit, match="--set 'bogus=1'"):
        finetune.main(finetune_args("iql", offline, tmp_path / "ft") + ["--set", "bogus=1"])


def test_seed_fine_tuned_with_others_equals_seed_fine_tuned_alone(tmp_path, tiny_hopper):
    runs = {}
    for name, seeds in (("pair", ["0", "1"]), ("alone", ["1"])):
        offline = str(tmp_path / f"offline-{name}")
        train.main(["--algo", "dmg", "--dataset", "hopper-medium", "--seeds", *seeds, "--steps", "20",
                    "--batch-size", "32", "--eval-every", "20", "--eval-episodes", "1", "--log-every", "10",
                    *SMALL_NET, "--out", offline])
        runs[name] = finetune.main(finetune_args("dmg", offline, tmp_path / f"ft-{name}", steps=30))
    # Equal up to float rounding: batched matmuls over 2 members and over 1 may round differently.
    same = lambda x, y: x == pytest.approx(y, rel=1e-5, abs=1e-6, nan_ok=True)  # noqa: E731
    assert same(runs["pair"]["offline_return"][1], runs["alone"]["offline_return"][0])
    assert same(runs["pair"]["online_return"][1], runs["alone"]["online_return"][0])
    pair, alone = ([json.loads(line) for line in (tmp_path / f"ft-{n}" / "metrics.jsonl").read_text().splitlines()]
                   for n in ("pair", "alone"))
    assert len(pair) == len(alone) == 3
    for p, a in zip(pair, alone):
        assert same(p["critic_loss"][1], a["critic_loss"][0]) and same(p["q_mean"][1], a["q_mean"][0])
        assert same(p["episode_return"][1], a["episode_return"][0])
