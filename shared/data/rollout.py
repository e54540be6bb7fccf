"""Collect a fixed number of transitions from a policy, several environments stepped together."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from shared.data.episodes import Episode
from shared.evaluate import episode_seed, make_env

Policy = Callable[[np.ndarray], np.ndarray]  # obs [1, M, obs_dim] -> actions [1, M, act_dim]


class _EpisodeRecorder:
    def __init__(self, first_obs: np.ndarray):
        self.observations, self.actions, self.rewards, self.terminations = [first_obs], [], [], []

    def add(self, action, reward, next_obs, terminated) -> None:
        self.actions.append(action)
        self.rewards.append(reward)
        self.terminations.append(terminated)
        self.observations.append(next_obs)

    def close(self, truncated: bool) -> Episode:
        truncations = np.zeros(len(self.actions), dtype=bool)
        truncations[-1] = truncated
        return Episode(np.asarray(self.observations, np.float32), np.asarray(self.actions, np.float32),
                       np.asarray(self.rewards, np.float32), np.asarray(self.terminations, dtype=bool), truncations)


def collect(policy: Policy, env_id: str, n_transitions: int, n_envs: int, seed: int,
            desc: str = "rollout") -> list[Episode]:
    """Exactly `n_transitions` transitions: environment i contributes its share as consecutive episodes, its
    last episode cut by the quota and marked truncated. Episodes are returned environment by environment, so the
    result depends on (policy, seed, n_envs) only."""
    n_envs = max(1, min(n_envs, n_transitions))
    quotas = [n_transitions // n_envs + (i < n_transitions % n_envs) for i in range(n_envs)]
    envs = [make_env(env_id) for _ in range(n_envs)]
    obs = np.stack([env.reset(seed=episode_seed(seed, i))[0] for i, env in enumerate(envs)]).astype(np.float32)
    space = envs[0].action_space
    recorders = [_EpisodeRecorder(o) for o in obs]
    episodes: list[list[Episode]] = [[] for _ in envs]
    taken = [0] * n_envs
    with tqdm(total=n_transitions, desc=desc, unit="step", mininterval=5) as progress:
        while any(t < q for t, q in zip(taken, quotas)):
            actions = np.clip(np.asarray(policy(obs[None]))[0], space.low, space.high).astype(np.float32)
            for i, env in enumerate(envs):
                if taken[i] == quotas[i]:
                    continue
                next_obs, reward, terminated, truncated, _ = env.step(actions[i])
                recorders[i].add(actions[i], reward, next_obs, terminated)
                taken[i] += 1
                if terminated or truncated or taken[i] == quotas[i]:
                    episodes[i].append(recorders[i].close(truncated=not terminated))
                    if taken[i] < quotas[i]:
                        next_obs, _ = env.reset()
                        recorders[i] = _EpisodeRecorder(next_obs)
                obs[i] = next_obs
            progress.update(sum(taken) - progress.n)
    for env in envs:
        env.close()
    return [e for per_env in episodes for e in per_env]


def uniform_random_policy(action_low: np.ndarray, action_high: np.ndarray, seed: int) -> Policy:
    rng = np.random.default_rng(seed)

    def act(obs: np.ndarray) -> np.ndarray:
        return rng.uniform(action_low, action_high, size=(*obs.shape[:2], len(action_low))).astype(np.float32)
    return act
