"""The synthetic tabular MDP family of the paper (App. 12.2) and exact dynamic programming on it.

Online MDP: P(.|s,a) ~ Dirichlet(1_S), r(s,a) ~ U[0,1], deterministic start s1, horizon H, stage-independent.
Offline MDP (Eq. 70): for each (s,a), the kernel within l1 distance Delta of P(.|s,a) that minimises the
expected worst-policy value of the next state, i.e. mass moved from the best states to the worst one.
All functions take a leading batch dimension (runs or lanes).
"""
from __future__ import annotations

import numpy as np


def sample_online_mdps(seeds, n_states: int, n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """Transition kernels [R, S, A, S] and rewards [R, S, A], one MDP per seed."""
    kernels, rewards = [], []
    for seed in seeds:
        rng = np.random.default_rng(int(seed))
        kernels.append(rng.dirichlet(np.ones(n_states), size=(n_states, n_actions)))
        rewards.append(rng.uniform(size=(n_states, n_actions)))
    return np.stack(kernels), np.stack(rewards)


def backward_values(kernel: np.ndarray, reward: np.ndarray, horizon: int, reduce) -> np.ndarray:
    """Stage values V_1..V_{H+1} [B, H+1, S] of the policy that `reduce`s (np.max / np.min) Q over actions."""
    values = np.zeros(kernel.shape[:1] + (horizon + 1, kernel.shape[1]))
    for h in reversed(range(horizon)):
        q = reward + np.einsum("bsat,bt->bsa", kernel, values[:, h + 1])
        values[:, h] = reduce(q, axis=-1)
    return values


def policy_values(kernel: np.ndarray, reward: np.ndarray, policy: np.ndarray) -> np.ndarray:
    """Exact V^pi_1 [B, S] of a deterministic stage-dependent policy [B, H, S] (action indices)."""
    batch, horizon, n_states = policy.shape
    value = np.zeros((batch, n_states))
    for h in reversed(range(horizon)):
        action = policy[:, h, :, None]
        step_reward = np.take_along_axis(reward, action, axis=2)[..., 0]
        step_kernel = np.take_along_axis(kernel, action[..., None], axis=2)[:, :, 0, :]
        value = step_reward + np.einsum("bst,bt->bs", step_kernel, value)
    return value


def shifted_kernel(kernel: np.ndarray, state_value: np.ndarray, delta: float) -> np.ndarray:
    """argmin_q q.v subject to ||q - P(.|s,a)||_1 <= delta, q in the simplex (Eq. 70), for every (s,a).

    The LP optimum moves mass min(delta/2, 1 - p_worst) from the highest-value states (highest first) onto the
    lowest-value state; each unit moved costs 2 units of l1 distance. kernel [B,S,A,S], state_value [B,S].
    """
    if delta < 0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    order = np.argsort(-state_value, axis=-1, kind="stable")  # best first, worst last
    sorted_p = np.take_along_axis(kernel, order[:, None, None, :], axis=-1)
    budget = np.minimum(delta / 2.0, 1.0 - sorted_p[..., -1])
    donors = sorted_p[..., :-1]
    taken_before = np.cumsum(donors, axis=-1) - donors
    taken = np.clip(budget[..., None] - taken_before, 0.0, donors)
    shifted = sorted_p.copy()
    shifted[..., :-1] -= taken
    shifted[..., -1] += taken.sum(-1)
    result = np.empty_like(shifted)
    np.put_along_axis(result, np.broadcast_to(order[:, None, None, :], shifted.shape), shifted, axis=-1)
    return result


def offline_kernels(kernel: np.ndarray, reward: np.ndarray, horizon: int, delta: float) -> np.ndarray:
    """The adversarially shifted offline kernels of App. 12.2, scored by the stage-1 worst-policy value."""
    worst = backward_values(kernel, reward, horizon, np.min)[:, 0]
    return shifted_kernel(kernel, worst, delta)


def next_states(kernel_rows: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Inverse-CDF sample of next states from rows [..., S] with uniforms [...]."""
    cdf = np.cumsum(kernel_rows, axis=-1)[..., :-1]
    return (uniform[..., None] >= cdf).sum(-1)
