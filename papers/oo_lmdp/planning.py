"""Backward induction with clipped Q values and greedy policies with uniform random tie-breaking."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

TIE_TOLERANCE = 1e-12  # the authors' np.isclose(rtol=atol=1e-12) tie rule


def plan_backward(horizon: int, stage_q: Callable[[int, np.ndarray], np.ndarray], batch_shape) -> np.ndarray:
    """Q_h = clip(stage_q(h, V_{h+1}), 0, H-h) for h = H-1..0 (0-based), V_h = max_a Q_h; returns Q [L,H,S,A].

    stage_q(h, v_next) returns the unclipped Q_h [L,S,A] given V_{h+1} [L,S]; V_H = 0.
    """
    n_lanes, n_states, n_actions = batch_shape
    q = np.empty((n_lanes, horizon, n_states, n_actions))
    v_next = np.zeros((n_lanes, n_states))
    for h in reversed(range(horizon)):
        q[:, h] = np.clip(stage_q(h, v_next), 0.0, horizon - h)
        v_next = q[:, h].max(-1)
    return q


def stage_values(q: np.ndarray) -> np.ndarray:
    """V_1..V_{H+1} [L, H+1, S] from Q [L,H,S,A] (V_{H+1} = 0)."""
    return np.concatenate([q.max(-1), np.zeros(q.shape[:1] + (1, q.shape[2]))], axis=1)


def greedy_policy(q: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """argmax_a Q [..., A] with ties (within tolerance) broken uniformly by one uniform [...] per row."""
    best = q.max(-1, keepdims=True)
    ties = q >= best - TIE_TOLERANCE * (1.0 + np.abs(best))
    n_ties = ties.sum(-1)
    pick = np.minimum((uniform * n_ties).astype(np.int64), n_ties - 1)
    return np.argmax(np.cumsum(ties, axis=-1) > pick[..., None], axis=-1)
