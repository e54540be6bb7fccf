"""AntMaze's dict observations: flattened in D4RL's layout for datasets and evaluation alike."""
import numpy as np
import pytest

from shared.evaluate import evaluate_policy, make_env
from shared.goal_observations import flatten_goal_observation


def test_flatten_puts_the_position_first_and_leaves_the_goal_out():
    obs = {"achieved_goal": np.array([1.0, 2.0]), "observation": np.arange(3.0), "desired_goal": np.array([9.0, 9.0])}
    assert flatten_goal_observation(obs).tolist() == [1.0, 2.0, 0.0, 1.0, 2.0]
    stacked = {k: np.stack([v, v]) for k, v in obs.items()}
    assert flatten_goal_observation(stacked).shape == (2, 5)
    with pytest.raises(ValueError, match="achieved_goal"):
        flatten_goal_observation({"observation": np.zeros(3)})


def test_antmaze_evaluates_through_the_flat_observation():
    pytest.importorskip("gymnasium_robotics")
    env = make_env("AntMaze_UMaze-v4", max_episode_steps=5)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.shape == (29,) and obs.shape == (29,)  # D4RL's qpos + qvel layout
    assert np.allclose(obs[:2], env.unwrapped.data.qpos[:2])            # the ant's (x, y) first
    env.close()
    seen = []

    def policy(batch):
        seen.append(batch.shape)
        return np.zeros((*batch.shape[:2], 8))

    returns = evaluate_policy(policy, "AntMaze_UMaze-v4", n_members=2, episodes=1, seed=[0, 1], max_episode_steps=5)
    assert returns.shape == (2, 1) and seen[0] == (2, 1, 29)
