"""The online phase shared by every algorithm: plan, act greedily, score by exact regret, roll out, learn.

An agent holds L lanes (independent learners, each on the online MDP of its run) and exposes
plan() -> Q [L,H,S,A] and observe(states [L,H+1], actions [L,H]). Regret is the expected per-episode
regret V*_1(s1) - V^{pi_k}_1(s1) from exact policy evaluation on the true online MDP (Sec. 2).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from tqdm import trange

from papers.oo_lmdp.env import backward_values, next_states, policy_values
from papers.oo_lmdp.planning import greedy_policy
from papers.oo_lmdp.rng import uniforms


@dataclass(frozen=True)
class LaneMDPs:
    """The online MDP seen by each lane: kernel [L,S,A,S], reward [L,S,A], V*_1(s1) [L]."""

    kernel: np.ndarray
    reward: np.ndarray
    start: int
    horizon: int
    optimal_value: np.ndarray

    @classmethod
    def for_lanes(cls, kernel, reward, lane_run, start: int, horizon: int) -> "LaneMDPs":
        lane_kernel, lane_reward = kernel[lane_run], reward[lane_run]
        optimal = backward_values(lane_kernel, lane_reward, horizon, np.max)[:, 0, start]
        return cls(lane_kernel, lane_reward, start, horizon, optimal)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.reward.shape


class Agent(Protocol):
    def plan(self) -> np.ndarray: ...

    def observe(self, states: np.ndarray, actions: np.ndarray) -> None: ...


def run_online(agent: Agent, mdps: LaneMDPs, n_episodes: int, keys: np.ndarray, desc: str) -> np.ndarray:
    """Per-episode expected regret [L, K]. keys [L]: the online random stream of each lane (tie-breaks, moves)."""
    n_lanes, n_states, _ = mdps.shape
    horizon, lanes = mdps.horizon, np.arange(n_lanes)
    n_ties = horizon * n_states
    regret = np.empty((n_lanes, n_episodes))
    started = time.perf_counter()
    progress = trange(n_episodes, desc=desc, mininterval=10, leave=False)
    for episode in progress:
        q = agent.plan()
        draws = uniforms(keys, episode, n_ties + horizon)
        policy = greedy_policy(q, draws[:, :n_ties].reshape(n_lanes, horizon, n_states))
        regret[:, episode] = mdps.optimal_value - policy_values(mdps.kernel, mdps.reward, policy)[:, mdps.start]
        states = np.empty((n_lanes, horizon + 1), dtype=np.int64)
        states[:, 0] = mdps.start
        actions = np.empty((n_lanes, horizon), dtype=np.int64)
        for h in range(horizon):
            actions[:, h] = policy[lanes, h, states[:, h]]
            states[:, h + 1] = next_states(mdps.kernel[lanes, states[:, h], actions[:, h]], draws[:, n_ties + h])
        agent.observe(states, actions)
        if episode % 500 == 499:
            rate = (episode + 1) * n_lanes / (time.perf_counter() - started)
            progress.set_postfix_str(f"{rate:,.0f} lane-episodes/s")
    return regret
