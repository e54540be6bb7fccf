"""Vectorised evaluation: shapes, seeding, member independence, per-episode CSV."""
import csv

import gymnasium as gym
import numpy as np
import pytest

from shared.evaluate import episode_seed, evaluate_policy, normalized_score, save_episode_returns

ENV, STEPS = "Hopper-v5", 30


def _linear_policy(weights):
    """Member k acts a = tanh(W_k obs): a deterministic policy per member. weights [K, act, obs]."""
    return lambda obs: np.tanh(np.einsum("kao,keo->kea", weights, obs))


def _weights(k, seed=0):
    return np.random.default_rng(seed).normal(0, 0.3, size=(k, 3, 11))


def test_returns_match_a_manual_rollout():
    w = _weights(1)
    returns = evaluate_policy(_linear_policy(w), ENV, 1, 2, seed=5, max_episode_steps=STEPS)
    env = gym.make(ENV, max_episode_steps=STEPS)
    for e in range(2):
        obs, _ = env.reset(seed=episode_seed(5, e))
        total, done = 0.0, False
        while not done:
            obs, r, term, trunc, _ = env.step(np.tanh(w[0] @ obs))
            total, done = total + r, term or trunc
        assert returns[0, e] == pytest.approx(total)


def test_member_returns_do_not_depend_on_the_other_members():
    w = _weights(2)
    both = evaluate_policy(_linear_policy(w), ENV, 2, 3, seed=[100, 101], max_episode_steps=STEPS)
    second = evaluate_policy(_linear_policy(w[1:]), ENV, 1, 3, seed=101, max_episode_steps=STEPS)
    assert both.shape == (2, 3)
    assert np.array_equal(both[1], second[0])
    assert not np.array_equal(both[0], both[1])
    again = evaluate_policy(_linear_policy(w), ENV, 2, 3, seed=[100, 101], max_episode_steps=STEPS)
    assert np.array_equal(both, again)


def test_wrong_action_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="actions of shape"):
        evaluate_policy(lambda obs: np.zeros((1, 3)), ENV, 1, 1, seed=0, max_episode_steps=5)


def test_normalized_score_endpoints():
    assert normalized_score([-20.0, 100.0], -20.0, 100.0).tolist() == [0.0, 100.0]


def test_save_episode_returns_writes_one_row_per_episode(tmp_path):
    path = tmp_path / "eval.csv"
    save_episode_returns(path, np.array([[1.0, 2.0], [3.0, 4.0]]), [0, 1], 0.0, 10.0, step=50)
    rows = list(csv.DictReader(path.open()))
    assert [(r["seed"], r["episode"], float(r["return"]), float(r["normalized"])) for r in rows] == [
        ("0", "0", 1.0, 10.0), ("0", "1", 2.0, 20.0), ("1", "0", 3.0, 30.0), ("1", "1", 4.0, 40.0)]
    assert rows[0]["step"] == "50"
