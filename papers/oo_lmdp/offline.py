"""Offline phase: behaviour data from the shifted MDP and the offline regression statistics of each design.

The behaviour policy is uniformly random (App. 12.2). A design chooses the probe functions V~^m_{h+1} used as
regression targets on the offline transitions (Eq. 7); the offline statistics are the block Gram matrix
G_off = sum x x^T and target b_off = sum x y, with x = phi_{V~}(s_h, a_h) and y = V~(s_{h+1}).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from papers.oo_lmdp.env import next_states
from papers.oo_lmdp.planning import plan_backward
from papers.oo_lmdp.ridge import BlockRidge


@dataclass(frozen=True)
class BehaviourDraws:
    """The randomness of M offline trajectories: actions [M,H], next-state uniforms [M,H], keep uniforms [M,H].

    Drawn once per run at the largest M_off of a sweep, so smaller datasets are prefixes of larger ones.
    """

    actions: np.ndarray
    step_uniform: np.ndarray
    keep_uniform: np.ndarray

    @classmethod
    def draw(cls, seed: int, n_trajectories: int, horizon: int, n_actions: int) -> "BehaviourDraws":
        rng = np.random.default_rng([int(seed), 1])
        return cls(
            actions=rng.integers(n_actions, size=(n_trajectories, horizon), dtype=np.int64),
            step_uniform=rng.random((n_trajectories, horizon)),
            keep_uniform=rng.random((n_trajectories, horizon)),
        )


def rollout(kernel: np.ndarray, start: int, actions: np.ndarray, step_uniform: np.ndarray) -> np.ndarray:
    """States [M, H+1] of trajectories in `kernel` [S,A,S] from `start` under the given actions."""
    n_traj, horizon = actions.shape
    states = np.empty((n_traj, horizon + 1), dtype=np.int64)
    states[:, 0] = start
    for h in range(horizon):
        states[:, h + 1] = next_states(kernel[states[:, h], actions[:, h]], step_uniform[:, h])
    return states


def kept_samples(states: np.ndarray, keep_uniform: np.ndarray, keep_prob: float | None, n_states: int) -> np.ndarray:
    """τ-control (App. 12.2): a sample whose state is in S1 = {0..floor(S/2)-1} keeps its probe w.p. keep_prob.

    keep_prob None means no control (every probe kept). Returns bool [M, H].
    """
    if keep_prob is None:
        return np.ones(keep_uniform.shape, dtype=bool)
    controlled = states[:, :-1] < n_states // 2
    return ~controlled | (keep_uniform < keep_prob)


def round_robin_design(states, actions, kept, n_states: int, n_actions: int, index_shift: int = 0):
    """The deterministic "Optimal" design (Def. 4.10): probe e_{s*}, s* = argmin_s' n(s_h, a_h, s').

    With first-index tie-breaking this is round-robin: the j-th kept sample at (s,a) (in data order) gets probe
    e_{j mod S}. index_shift=1 reproduces the authors' code, which regresses the stage-h transition on the probe
    designed for (s_{h+1}, a_{h+1}) and leaves stage H without a probe. Returns (gram [SA,S,S], target [SA,S]).
    """
    n_traj, horizon = actions.shape
    blocks = states[:, :-1] * n_actions + actions
    kept_blocks = blocks[kept]  # row-major: trajectory order, then stage
    order = np.argsort(kept_blocks, kind="stable")
    group_start = np.concatenate([[0], np.cumsum(np.bincount(kept_blocks, minlength=n_states * n_actions))[:-1]])
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size) - group_start[kept_blocks[order]]
    probe = np.full((n_traj, horizon), -1, dtype=np.int64)
    probe[kept] = rank % n_states
    if index_shift:
        probe = np.concatenate([probe[:, index_shift:], np.full((n_traj, index_shift), -1)], axis=1)
    used = probe >= 0
    cell = blocks[used] * n_states + probe[used]
    size = n_states * n_actions * n_states
    counts = np.bincount(cell, minlength=size).reshape(-1, n_states)
    hits = np.bincount(cell, weights=(states[:, 1:][used] == probe[used]), minlength=size).reshape(-1, n_states)
    gram = np.zeros(counts.shape + (n_states,))
    gram[:, np.arange(n_states), np.arange(n_states)] = counts
    return gram, hits


def pessimistic_design(states, actions, reward, horizon: int, lam: float, penalty: float, desc: str = ""):
    """The "Pessimistic" design (Nguyen-Tang et al. 2023, Alg. 2, as adapted by the authors), batched over runs.

    For each trajectory m in order: fit theta on the offline samples of trajectories < m, run pessimistic value
    iteration Q_h = clip(r + <theta, phi_V> - penalty ||phi_V||_{Lambda^-1}, 0, H-h+1), and regress trajectory m
    on V_{h+1}. states [R,M,H+1], actions [R,M,H], reward [R,S,A]. Returns (gram [R,SA,S,S], target [R,SA,S]).
    """
    n_runs, n_traj, _ = actions.shape
    n_states, n_actions = reward.shape[1:]
    ridge = BlockRidge.empty(n_runs, n_states * n_actions, n_states, lam)
    lanes = np.arange(n_runs)

    def stage_q(h, v_next):
        if h == horizon - 1:
            return reward
        mean, width = ridge.estimate(v_next)
        return reward + (mean - penalty * width).reshape(n_runs, n_states, n_actions)

    for m in tqdm(range(n_traj), desc=desc or "pessimistic design", mininterval=10, leave=False):
        q = plan_backward(horizon, stage_q, (n_runs, n_states, n_actions))
        blocks = states[:, m, :-1] * n_actions + actions[:, m]
        for h in range(horizon - 1):  # V_{H+1} = 0: the last stage adds nothing
            v = q[:, h + 1].max(-1)
            ridge.add(blocks[:, h], v, v[lanes, states[:, m, h + 1]])
    return ridge.gram - lam * np.eye(n_states), ridge.target


def stage_counts(states, actions, kept, n_states: int, n_actions: int) -> np.ndarray:
    """Stage-indexed transition counts N[h, s, a, s'] [H,S,A,S] of the kept offline samples (for DP-LSVI)."""
    horizon = actions.shape[1]
    stage = np.broadcast_to(np.arange(horizon), actions.shape)
    cell = ((stage * n_states + states[:, :-1]) * n_actions + actions) * n_states + states[:, 1:]
    size = horizon * n_states * n_actions * n_states
    return np.bincount(cell[kept], minlength=size).reshape(horizon, n_states, n_actions, n_states)


def coverage(gram: np.ndarray, n_trajectories: int) -> np.ndarray:
    """Empirical coverage tau_hat = min over blocks of lambda_min(G_off) / M_off [...] (Def. 4.1)."""
    return np.linalg.eigvalsh(gram)[..., 0].min(-1) / max(n_trajectories, 1)
