"""Tabular baselines of App. 12 (Fig. 4): DP-LSVI (Chen et al. 2022, Alg. 2, UCB version) and UCBVI
(Azar et al. 2017, Chernoff-Hoeffding bonus), batched over lanes, with the authors' implementation choices.
"""
from __future__ import annotations

import numpy as np

from papers.oo_lmdp.online import LaneMDPs
from papers.oo_lmdp.planning import plan_backward


def pooling_weight(n_online, n_offline, delta, log_term: float) -> np.ndarray:
    """DP-LSVI's weight omega(n, N) on the online estimate (1 = online only), elementwise over counts.

    omega = (n + N n Delta / sqrt((N+n) L/2 - Delta^2 N n)) / (N+n), clipped to [0,1]; omega = 1 when Delta <= 0,
    when n >= L/(2 Delta^2) or when the root is not real; omega = 0 when there are no samples at all.
    """
    n, big_n = n_online.astype(np.float64), n_offline.astype(np.float64)
    delta = np.broadcast_to(delta, n.shape)
    total = n + big_n
    inside = total * log_term / 2.0 - delta**2 * big_n * n
    with np.errstate(divide="ignore", invalid="ignore"):
        omega = np.clip((n + big_n * n * delta / np.sqrt(inside)) / total, 0.0, 1.0)
        saturated = n >= log_term / (2.0 * delta**2)
    omega = np.where(inside <= 1e-12, 1.0, omega)
    omega = np.where(total <= 0, 0.0, omega)
    return np.where((delta <= 0) | saturated, 1.0, omega)


def empirical_kernel(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample-mean kernel [..., S] (uniform where unseen) and visit counts [...] from transition counts."""
    visits = counts.sum(-1)
    uniform = np.full(counts.shape, 1.0 / counts.shape[-1])
    kernel = np.where(visits[..., None] > 0, counts / np.maximum(visits, 1)[..., None], uniform)
    return kernel, visits


class DPLSVI:
    """Data-pooling perturbed LSVI with xi = 1 (UCB): stage-indexed counts, pooled model, bonus c * epsilon.

    offline_counts [L,H,S,A,S]: the offline transition counts of each lane; delta [L]: the known shift bound.
    """

    def __init__(self, mdps: LaneMDPs, offline_counts, delta, bonus, n_episodes: int, conf_delta: float):
        n_lanes, n_states, n_actions = mdps.shape
        horizon = mdps.horizon
        self.mdps = mdps
        self.delta = np.asarray(delta, dtype=np.float64)[:, None, None, None]
        self.bonus = np.asarray(bonus, dtype=np.float64)[:, None, None, None]
        self.log_term = np.log(max(2.0 * horizon * n_states * n_actions * n_episodes / conf_delta, 1000.0))
        self.offline_kernel, self.offline_visits = empirical_kernel(np.asarray(offline_counts))
        self.online_counts = np.zeros((n_lanes, horizon, n_states, n_actions, n_states), dtype=np.int64)

    def plan(self) -> np.ndarray:
        horizon, reward = self.mdps.horizon, self.mdps.reward[:, None]
        online_kernel, n = empirical_kernel(self.online_counts)
        big_n = self.offline_visits
        omega = pooling_weight(n, big_n, self.delta, self.log_term)
        reward_on = np.where(n > 0, reward, 0.0)  # rewards are deterministic: the sample mean is r once seen
        reward_off = np.where(big_n > 0, reward, 0.0)
        pooled_reward = omega * reward_on + (1.0 - omega) * reward_off
        pooled_kernel = omega[..., None] * online_kernel + (1.0 - omega[..., None]) * self.offline_kernel
        epsilon = horizon * np.sqrt(
            self.log_term * (omega**2 / (2.0 * np.maximum(n, 1)) + (1.0 - omega) ** 2 / (2.0 * np.maximum(big_n, 1)))
        ) + horizon * (1.0 - omega) * self.delta
        optimistic_reward = pooled_reward + self.bonus * epsilon

        def stage_q(h, v_next):
            return optimistic_reward[:, h] + np.einsum("lsat,lt->lsa", pooled_kernel[:, h], v_next)

        return plan_backward(horizon, stage_q, self.mdps.shape)

    def observe(self, states: np.ndarray, actions: np.ndarray) -> None:
        lanes = np.arange(actions.shape[0])
        for h in range(actions.shape[1]):
            self.online_counts[lanes, h, states[:, h], actions[:, h], states[:, h + 1]] += 1


class UCBVI:
    """UCBVI-CH with global (stage-free) counts: Q = min(Q_prev, H, r + P_hat V + c 7 H L sqrt(1/N)); unseen -> H."""

    def __init__(self, mdps: LaneMDPs, bonus, n_episodes: int, conf_delta: float):
        n_lanes, n_states, n_actions = mdps.shape
        horizon = mdps.horizon
        self.mdps = mdps
        self.bonus = np.asarray(bonus, dtype=np.float64)[:, None, None]
        self.log_term = np.log(max(5.0 * n_states * n_actions * n_episodes * horizon / conf_delta, 1000.0))
        self.counts = np.zeros((n_lanes, n_states, n_actions, n_states), dtype=np.int64)
        self.previous_q = np.full((n_lanes, horizon, n_states, n_actions), float(horizon))

    def plan(self) -> np.ndarray:
        horizon = float(self.mdps.horizon)
        kernel, visits = empirical_kernel(self.counts)
        seen = visits > 0
        reward = np.where(seen, self.mdps.reward, 0.0)
        bonus = self.bonus * 7.0 * horizon * self.log_term / np.sqrt(np.maximum(visits, 1))

        def stage_q(h, v_next):
            ucb = reward + np.einsum("lsat,lt->lsa", kernel, v_next) + bonus
            return np.where(seen, np.minimum(np.minimum(self.previous_q[:, h], horizon), ucb), horizon)

        self.previous_q = plan_backward(self.mdps.horizon, stage_q, self.mdps.shape)
        return self.previous_q

    def observe(self, states: np.ndarray, actions: np.ndarray) -> None:
        lanes = np.arange(actions.shape[0])
        for h in range(actions.shape[1]):
            self.counts[lanes, states[:, h], actions[:, h], states[:, h + 1]] += 1
