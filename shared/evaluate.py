"""Policy rollouts: K policies (one per seed) x E episodes each, stepped together so the policy runs batched.

Environment (k, e) is reset with a seed derived from (seed_k, e) alone, so member k's returns do not depend on
how many other members are evaluated beside it. Callers pass evaluation seeds distinct from training seeds
(the DMG authors use training seed + 100).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np

from shared.goal_observations import flat_observations, register_robotics_envs
from shared.runs import atomic_write_text

Policy = Callable[[np.ndarray], np.ndarray]


def episode_seed(seed: int, episode: int) -> int:
    """A reset seed for one episode, well mixed so neighbouring (seed, episode) pairs do not collide."""
    return int(np.random.SeedSequence([int(seed), int(episode)]).generate_state(1)[0])


def member_seeds(seed: int | Sequence[int], n_members: int) -> list[int]:
    seeds = [int(seed)] * n_members if np.isscalar(seed) else [int(s) for s in seed]
    if len(seeds) != n_members:
        raise ValueError(f"got {len(seeds)} evaluation seeds for {n_members} members")
    return seeds


def make_env(env_id: str, max_episode_steps: int | None = None) -> gym.Env:
    """gym.make; goal-conditioned (dict) observations, as AntMaze's, are flattened as the datasets are."""
    register_robotics_envs(env_id)
    try:
        env = gym.make(env_id, max_episode_steps=max_episode_steps)
    except gym.error.Error as err:
        raise SystemExit(f"cannot make environment {env_id!r}: {err}") from None
    return flat_observations(env)


def evaluate_policy(act: Policy, env_id: str, n_members: int, episodes: int, seed: int | Sequence[int],
                    max_episode_steps: int | None = None) -> np.ndarray:
    """Undiscounted returns [K, episodes] of `act` (obs [K, E, obs_dim] -> actions [K, E, act_dim]).

    `seed` is one int for every member or one per member. Actions are clipped to the action space.
    """
    if n_members < 1 or episodes < 1:
        raise ValueError(f"need n_members >= 1 and episodes >= 1, got {n_members} and {episodes}")
    seeds = member_seeds(seed, n_members)
    envs = [[make_env(env_id, max_episode_steps) for _ in range(episodes)] for _ in range(n_members)]
    space = envs[0][0].action_space
    obs = np.stack([np.stack([env.reset(seed=episode_seed(seeds[k], e))[0] for e, env in enumerate(row)])
                    for k, row in enumerate(envs)]).astype(np.float32)
    returns = np.zeros((n_members, episodes))
    running = np.ones((n_members, episodes), dtype=bool)
    while running.any():
        actions = np.asarray(act(obs))
        if actions.shape != (n_members, episodes, *space.shape):
            raise ValueError(f"policy returned actions of shape {actions.shape}, "
                             f"expected {(n_members, episodes, *space.shape)}")
        actions = np.clip(actions, space.low, space.high)
        for k, e in zip(*np.nonzero(running)):
            next_obs, reward, terminated, truncated, _ = envs[k][e].step(actions[k, e])
            returns[k, e] += reward
            obs[k, e] = next_obs
            running[k, e] = not (terminated or truncated)
    for row in envs:
        for env in row:
            env.close()
    return returns


def normalized_score(returns, ref_min_score: float, ref_max_score: float) -> np.ndarray:
    """D4RL normalised score: 100 * (R - min) / (max - min)."""
    return 100.0 * (np.asarray(returns, dtype=float) - ref_min_score) / (ref_max_score - ref_min_score)


def save_episode_returns(path: str | Path, returns: np.ndarray, seeds: Sequence[int],
                         ref_min_score: float | None = None, ref_max_score: float | None = None,
                         **columns) -> None:
    """Write per-episode returns as CSV (columns: extra constant columns, seed, episode, return[, normalized])."""
    returns = np.asarray(returns, dtype=float)
    if returns.ndim != 2 or returns.shape[0] != len(seeds):
        raise ValueError(f"returns must be [K={len(seeds)}, episodes], got {returns.shape}")
    normalise = ref_min_score is not None and ref_max_score is not None
    scores = normalized_score(returns, ref_min_score, ref_max_score) if normalise else None
    out = io.StringIO()
    out.write(",".join([*columns, "seed", "episode", "return"] + (["normalized"] if normalise else [])) + "\n")
    for k, s in enumerate(seeds):
        for e, r in enumerate(returns[k]):
            row = [*map(str, columns.values()), str(int(s)), str(e), repr(float(r))]
            if normalise:
                row.append(repr(float(scores[k, e])))
            out.write(",".join(row) + "\n")
    atomic_write_text(path, out.getvalue())
