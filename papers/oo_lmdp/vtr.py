"""O-O UCRL-VTR (Algorithm 1), UCRL-VTR (online only) and COMPLETE (Algorithm 2), batched over lanes.

Each lane keeps two value-targeted ridge estimators (Eqs. 6, 8): online-only (M_k, theta_k, radius beta_k) and
pooled offline+online (Lambda_k = lam I + G_off + online Gram, radius gamma_k inflated by the shift term).
Planning uses the authors' computational form (App. 12.1, Eq. 69) of the max over C_k ∩ C~_k: the minimum of
the two closed-form ellipsoid maxima, with the bonus scaled by c. UCRL uses only the online ellipsoid; COMPLETE
only the pooled one, with Delta := 0. The regressions are unweighted (Hoeffding-style radii).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from papers.oo_lmdp.online import LaneMDPs
from papers.oo_lmdp.planning import plan_backward, stage_values
from papers.oo_lmdp.ridge import BlockRidge

ONLINE_ONLY, MIN_OF_TWO, POOLED_ONLY = 0, 1, 2


@dataclass(frozen=True)
class RadiusConstants:
    """Constants of the confidence radii (Theorem 4.2 as implemented by the authors)."""

    lam: float = 1.0
    norm_bound: float = 2.0  # B with ||theta||_2 <= B
    conf_delta: float = 1e-3  # delta; the paper sets delta = 1/K
    noise_scale: float = 3.0  # sub-Gaussian constant of y in [0, H]; the authors use H

    def radius(self, logdet: np.ndarray, dim: int) -> np.ndarray:
        """H sqrt(2 (1/2 log det G - 1/2 d log lam + log 1/delta)) + sqrt(lam) B."""
        inside = logdet - dim * np.log(self.lam) + 2.0 * np.log(1.0 / self.conf_delta)
        return self.noise_scale * np.sqrt(np.maximum(inside, 0.0)) + np.sqrt(self.lam) * self.norm_bound


def shift_term(delta: np.ndarray, offline_gram: np.ndarray, lam: float) -> np.ndarray:
    """Delta lambda_max(G_off) / sqrt(lambda_min(lam I + G_off)) [L], the bias bound added to gamma."""
    eig = np.linalg.eigvalsh(offline_gram)
    return delta * eig[..., -1].max(-1) / np.sqrt(lam + eig[..., 0].min(-1))


class OOUCRLVTR:
    """L lanes of UCRL-VTR-type learners; mode [L] in {ONLINE_ONLY, MIN_OF_TWO, POOLED_ONLY}.

    offline_gram [L,SA,S,S] / offline_target [L,SA,S]: G_off and b_off of each lane's offline design.
    bonus [L]: the bonus scale c. shift_delta [L]: the Delta plugged into gamma (0 for COMPLETE).
    """

    def __init__(self, mdps: LaneMDPs, offline_gram, offline_target, mode, bonus, shift_delta,
                 constants: RadiusConstants):
        n_lanes, n_states, n_actions = mdps.shape
        self.mdps, self.constants = mdps, constants
        self.mode, self.bonus = np.asarray(mode), np.asarray(bonus, dtype=np.float64)
        self.online = BlockRidge.empty(n_lanes, n_states * n_actions, n_states, constants.lam)
        self.pooled = BlockRidge(offline_gram, offline_target, constants.lam)
        self.shift = shift_term(np.asarray(shift_delta, dtype=np.float64), offline_gram, constants.lam)
        self.q = self.beta = self.gamma = None
        self.bound_terms: list[np.ndarray] = []

    def _ucb(self, value: np.ndarray) -> np.ndarray:
        """max over the confidence set(s) of <theta, phi_V(s,a)> [L, SA], per lane mode."""
        mean_on, width_on = self.online.estimate(value)
        mean_all, width_all = self.pooled.estimate(value)
        ucb_on = mean_on + (self.bonus * self.beta)[:, None] * width_on
        ucb_all = mean_all + (self.bonus * self.gamma)[:, None] * width_all
        mode = self.mode[:, None]
        return np.where(mode == ONLINE_ONLY, ucb_on, np.where(mode == POOLED_ONLY, ucb_all, np.minimum(ucb_on, ucb_all)))

    def plan(self) -> np.ndarray:
        self.beta = self.constants.radius(self.online.logdet(), self.online.dim)
        self.gamma = self.constants.radius(self.pooled.logdet(), self.pooled.dim) + self.shift
        reward = self.mdps.reward
        horizon = self.mdps.horizon

        def stage_q(h, v_next):
            if h == horizon - 1:  # V_{H+1} = 0: phi_V = 0, no estimate or bonus
                return reward
            return reward + self._ucb(v_next).reshape(reward.shape)

        self.q = plan_backward(horizon, stage_q, reward.shape)
        return self.q

    def observe(self, states: np.ndarray, actions: np.ndarray) -> None:
        """Regress on x = phi_{V^k_{h+1}}(s_h, a_h), y = V^k_{h+1}(s_{h+1}) (Eqs. 4-5); update once per episode."""
        n_lanes, horizon = actions.shape
        lanes = np.arange(n_lanes)
        values = stage_values(self.q)
        blocks = states[:, :-1] * self.mdps.shape[2] + actions
        bound = np.zeros(n_lanes)
        for h in range(horizon - 1):  # the stage-H sample has V_{H+1} = 0 and adds nothing
            v = values[:, h + 1]
            bound += self._proof_gap(blocks[:, h], v)
            y = v[lanes, states[:, h + 1]]
            self.online.add(blocks[:, h], v, y)
            self.pooled.add(blocks[:, h], v, y)
        self.bound_terms.append(bound)

    def _proof_gap(self, blocks: np.ndarray, value: np.ndarray) -> np.ndarray:
        """min{H, 2 beta ||x||_{M^-1}, 2 gamma ||x||_{Lambda^-1}} at the visited sample (Lemma 10.5 [R])."""
        horizon = float(self.mdps.horizon)
        on = 2.0 * self.beta * self.online.width_at(blocks, value)
        pooled = 2.0 * self.gamma * self.pooled.width_at(blocks, value)
        gap = np.where(self.mode == ONLINE_ONLY, on, np.where(self.mode == POOLED_ONLY, pooled, np.minimum(on, pooled)))
        return np.minimum(horizon, gap)
