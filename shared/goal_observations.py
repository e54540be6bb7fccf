"""Goal-conditioned (dict) observations as the flat vectors the offline algorithms train on.

Gymnasium-Robotics AntMaze observations are {observation, achieved_goal, desired_goal}. D4RL's AntMaze, which the
papers use, observes qpos + qvel: the ant's (x, y) first, then the rest; the goal is fixed per task and not
observed. [achieved_goal, observation] reproduces that layout, for the datasets (shared/data/minari_io.py) and the
evaluation environments (shared/evaluate.py) alike.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np

FLAT_KEYS = ("achieved_goal", "observation")


def register_robotics_envs(env_id: str) -> None:
    """Gymnasium-Robotics registers its environments (AntMaze_*) on import: import it when such an id is asked
    for and not yet registered."""
    if env_id not in gym.registry:
        try:
            import gymnasium_robotics  # noqa: F401 - the import registers the environments
        except ImportError:
            pass  # gym.make then names the unknown id


def is_goal_space(space: gym.Space) -> bool:
    return isinstance(space, gym.spaces.Dict) and all(key in space.spaces for key in FLAT_KEYS)


def flatten_goal_observation(observation: dict) -> np.ndarray:
    """[achieved_goal, observation] along the last axis (works on one observation or on stacked ones)."""
    missing = [key for key in FLAT_KEYS if key not in observation]
    if missing:
        raise ValueError(f"goal observation without {missing} (keys: {sorted(observation)})")
    return np.concatenate([np.asarray(observation[key]) for key in FLAT_KEYS], axis=-1)


class FlattenGoalObservation(gym.ObservationWrapper):
    """An environment with dict goal observations seen through flatten_goal_observation."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        if not is_goal_space(env.observation_space):
            raise ValueError(f"expected a Dict observation space with {FLAT_KEYS}, got {env.observation_space}")
        parts = [env.observation_space.spaces[key] for key in FLAT_KEYS]
        self.observation_space = gym.spaces.Box(np.concatenate([p.low for p in parts]),
                                                np.concatenate([p.high for p in parts]), dtype=np.float64)

    def observation(self, observation: dict) -> np.ndarray:
        return flatten_goal_observation(observation)


def flat_observations(env: gym.Env) -> gym.Env:
    """`env` itself, or seen through FlattenGoalObservation when its observations are goal-conditioned dicts."""
    return FlattenGoalObservation(env) if is_goal_space(env.observation_space) else env
