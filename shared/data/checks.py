"""Content checks of a dataset against the environment it is evaluated on: observation and action widths against
the env's spaces, and finite values. Run when a dataset is fetched or loaded, so a wrong file fails at once with
one line instead of mid-training with a shape traceback."""
from __future__ import annotations

import functools
import warnings

import numpy as np

FINITE_FIELDS = ("observations", "actions", "rewards", "next_observations")


@functools.lru_cache(maxsize=None)
def env_widths(env_id: str) -> tuple[int, int] | None:
    """(observation width, action width) of `env_id` as our datasets store them; None when the env is not
    installed here (then only finiteness is checked). Dict observations (AntMaze) are [achieved_goal, observation]."""
    import gymnasium as gym
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Hopper-v4 is out of date": D4RL data are evaluated on v4 on purpose
            env = gym.make(env_id)
    except Exception:  # unregistered id or a missing simulator: nothing to compare against
        return None
    try:
        obs_space, act_space = env.observation_space, env.action_space
        if isinstance(obs_space, gym.spaces.Dict):
            obs_width = int(np.prod(obs_space["achieved_goal"].shape) + np.prod(obs_space["observation"].shape))
        else:
            obs_width = int(np.prod(obs_space.shape))
        return obs_width, int(np.prod(act_space.shape))
    finally:
        env.close()


def check_transitions(arrays: dict[str, np.ndarray], env_id: str, what: str) -> None:
    """SystemExit with one line naming `what` (the dataset or file) when its arrays do not fit `env_id`."""
    widths = env_widths(env_id) if env_id else None
    if widths is not None:
        for field, expected in (("observations", widths[0]), ("next_observations", widths[0]),
                                ("actions", widths[1])):
            shape = np.shape(arrays[field])
            if len(shape) != 2 or shape[1] != expected:
                raise SystemExit(f"{what}: {field} have shape {shape}, but {env_id} expects [N, {expected}]; "
                                 "the file belongs to another environment or is damaged")
    for field in FINITE_FIELDS:
        values = np.asarray(arrays[field])
        if not np.issubdtype(values.dtype, np.number):
            raise SystemExit(f"{what}: {field} are not numeric (dtype {values.dtype})")
        bad = int(np.size(values) - np.isfinite(values).sum())
        if bad:
            raise SystemExit(f"{what}: {field} hold {bad} non-finite values (NaN or inf)")
