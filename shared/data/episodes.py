"""Episodes as numpy arrays, and their flattening into transitions (the one place next observations are made)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass
class Episode:
    observations: np.ndarray  # [T + 1, obs_dim]: the last row is the observation after the final action
    actions: np.ndarray       # [T, act_dim]
    rewards: np.ndarray       # [T]
    terminations: np.ndarray  # [T] bool: the MDP ended (no bootstrapping)
    truncations: np.ndarray   # [T] bool: cut by a time limit or by the end of collection (bootstrap)

    def __post_init__(self):
        t = len(self.actions)
        if t == 0 or len(self.observations) != t + 1 or not (len(self.rewards) == len(self.terminations)
                                                            == len(self.truncations) == t):
            raise ValueError(f"inconsistent episode lengths: obs {len(self.observations)}, actions {t}, "
                             f"rewards {len(self.rewards)}, terminations {len(self.terminations)}, "
                             f"truncations {len(self.truncations)}")
        if self.terminations[:-1].any() or self.truncations[:-1].any():
            raise ValueError("an episode may only end at its last step")

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def episode_return(self) -> float:
        return float(self.rewards.sum())


def split_transitions(observations, actions, rewards, next_observations, terminals, timeouts) -> list[Episode]:
    """Cut a flat transition stream into episodes at terminals or timeouts; a trailing unfinished piece is
    closed as truncated (collection stopped there, the MDP did not end)."""
    ends = np.flatnonzero(np.logical_or(terminals, timeouts))
    if len(ends) == 0 or ends[-1] != len(actions) - 1:
        ends = np.append(ends, len(actions) - 1)
    episodes, start = [], 0
    for end in ends:
        s = slice(start, end + 1)
        truncations = np.asarray(timeouts[s], dtype=bool).copy()
        terminations = np.asarray(terminals[s], dtype=bool).copy()
        truncations[-1] = not terminations[-1]
        obs = np.concatenate([observations[s], next_observations[end:end + 1]])
        episodes.append(Episode(obs.astype(np.float32), np.asarray(actions[s], np.float32),
                                np.asarray(rewards[s], np.float32), terminations, truncations))
        start = end + 1
    return episodes


def flatten(episodes: list[Episode]) -> dict[str, np.ndarray]:
    """Transition arrays (float32): observations, actions, rewards, next_observations, terminals, timeouts."""
    return {
        "observations": np.concatenate([e.observations[:-1] for e in episodes]).astype(np.float32),
        "actions": np.concatenate([e.actions for e in episodes]).astype(np.float32),
        "rewards": np.concatenate([e.rewards for e in episodes]).astype(np.float32),
        "next_observations": np.concatenate([e.observations[1:] for e in episodes]).astype(np.float32),
        "terminals": np.concatenate([e.terminations for e in episodes]).astype(np.float32),
        "timeouts": np.concatenate([e.truncations for e in episodes]).astype(np.float32),
    }


def content_hash(transitions: dict[str, np.ndarray]) -> str:
    """sha256 over the transition arrays in a fixed key order: the identity of a dataset's content."""
    digest = hashlib.sha256()
    for key in sorted(transitions):
        array = np.ascontiguousarray(transitions[key], dtype=np.float32)
        digest.update(key.encode())
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
