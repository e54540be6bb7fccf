"""DMG's theory checked numerically (Sec. 3.3-3.4 and App. B of the paper), on CPU in about a minute.

  python -m papers.dmg.theory --out-dir results/dmg/theory

Finite MDPs with actions placed on [-1, 1], so that "mild generalisation" has a distance: the dataset support
beta_hat(s) is a random subset of the actions, the mildly generalised support beta_tilde(s) every action within
epsilon of a dataset action of the same state (Definition 1). The operators (Definitions 2-3):
  T_In  Q(s, a) = R(s, a) + gamma E_s' max_{a' in beta_hat(s')} Q(s', a')
  T_DMG Q(s, a) = R(s, a) + gamma E_s' [lambda max_{a' in beta_tilde(s')} Q + (1 - lambda) max_{a' in beta_hat(s')} Q]
Checked: Lemma 1 and Theorem 2 (gamma-contractions in the sup norm over their support), Theorem 3 (the greedy
policy of DMG's fixed point is at least as good as the in-sample optimal policy; exact policy evaluation), Theorem 4
(worst-case overestimation of the learned Q with a K_Q-Lipschitz extension beyond the data, against the bound
lambda eps K_Q gamma (1 - gamma^k) / (1 - gamma)), and a toy of Figure 1's mechanism (a neural Q function trained with
DMG's target whose generalised max reaches out-of-distribution actions: learned Q rising with lambda).
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from shared.nets import EnsembleMLP, minimise, sample_indices, seed_generators
from shared.rl.losses import soft_update

log = logging.getLogger("dmg.theory")

CONTRACTION_TOLERANCE = 1e-9   # float64 rounding on values of order 1 / (1 - gamma)
DIVERGENCE_FACTOR = 10.0       # as the training runs: |mean Q| > 10 x max|r| / (1 - gamma) is diverged


# ---- finite MDPs, supports and the two operators ------------------------------------------------------------------

@dataclass(frozen=True)
class FiniteMDP:
    """M finite MDPs at once (a leading batch axis on every array)."""

    transitions: np.ndarray  # P [M, S, A, S]
    rewards: np.ndarray      # R [M, S, A]
    gamma: float
    actions: np.ndarray      # [A] positions of the actions on [-1, 1]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.rewards.shape

    def expect(self, v: np.ndarray) -> np.ndarray:
        """E_{s' ~ P(.|s, a)} v(s') [M, S, A] for v [M, S]."""
        return np.einsum("msat,mt->msa", self.transitions, v)


def random_mdps(rng: np.random.Generator, n_mdps: int, n_states: int, n_actions: int, gamma: float) -> FiniteMDP:
    """P(.|s, a) ~ Dirichlet(1), R ~ U(0, 1), actions evenly spaced on [-1, 1]."""
    transitions = rng.dirichlet(np.ones(n_states), size=(n_mdps, n_states, n_actions))
    return FiniteMDP(transitions, rng.random((n_mdps, n_states, n_actions)), gamma, np.linspace(-1.0, 1.0, n_actions))


def dataset_support(rng: np.random.Generator, shape: tuple[int, ...], per_state: int) -> np.ndarray:
    """beta_hat(a|s) > 0: `per_state` distinct random actions in every state (every state is in the data).
    shape (..., S, A) -> bool of that shape."""
    if not 1 <= per_state <= shape[-1]:
        raise ValueError(f"per_state must be in [1, {shape[-1]}], got {per_state}")
    keys = rng.random(shape)
    return keys <= np.sort(keys, axis=-1)[..., per_state - 1:per_state]


def neighbourhood(support: np.ndarray, actions: np.ndarray, epsilon: float) -> np.ndarray:
    """beta_tilde(a|s) > 0: actions within `epsilon` of a dataset action of the same state (Definition 1)."""
    close = np.abs(actions[:, None] - actions[None, :]) <= epsilon + 1e-12  # [A(data), A]
    return (support[..., :, None] & close).any(axis=-2)


def support_max(q: np.ndarray, support: np.ndarray) -> np.ndarray:
    """max_{a in support(s)} q(s, a) over the last axis (every state has a supported action)."""
    return np.where(support, q, -np.inf).max(axis=-1)


def in_sample_operator(mdp: FiniteMDP, q: np.ndarray, data: np.ndarray) -> np.ndarray:
    """T_In Q (Definition 3)."""
    return mdp.rewards + mdp.gamma * mdp.expect(support_max(q, data))


def dmg_operator(mdp: FiniteMDP, q: np.ndarray, data: np.ndarray, mild: np.ndarray, lam: float) -> np.ndarray:
    """T_DMG Q (Definition 2): the generalised max read on `mild`, the in-sample max on `data`."""
    return mdp.rewards + mdp.gamma * mdp.expect(lam * support_max(q, mild) + (1.0 - lam) * support_max(q, data))


def sup_norm(x: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Sup norm over the support, per MDP [M]."""
    return np.abs(np.where(support, x, 0.0)).max(axis=(-2, -1))


def contraction_ratio(operator, q1: np.ndarray, q2: np.ndarray, support: np.ndarray) -> np.ndarray:
    """||T q1 - T q2|| / ||q1 - q2|| per MDP, both sup norms over `support` (where the operator is defined)."""
    return sup_norm(operator(q1) - operator(q2), support) / sup_norm(q1 - q2, support)


def fixed_point(operator, q0: np.ndarray, gamma: float, tol: float = 1e-9, max_iter: int = 100_000) -> np.ndarray:
    """Iterate `operator` from q0 until successive iterates differ by < tol (1 - gamma) / gamma in sup norm,
    i.e. the iterate is within tol of the fixed point for a gamma-contraction."""
    q = q0
    for _ in range(max_iter):
        nxt = operator(q)
        if np.abs(nxt - q).max() < tol * (1 - gamma) / gamma:
            return nxt
        q = nxt
    raise RuntimeError(f"no fixed point within {max_iter} iterations")


def greedy(q: np.ndarray, support: np.ndarray) -> np.ndarray:
    """argmax_{a in support(s)} q(s, a) [M, S]."""
    return np.where(support, q, -np.inf).argmax(axis=-1)


def policy_value(mdp: FiniteMDP, policy: np.ndarray) -> np.ndarray:
    """V^pi [M, S] of deterministic policies [M, S], exactly: (I - gamma P_pi) V = R_pi."""
    p_pi = np.take_along_axis(mdp.transitions, policy[..., None, None], axis=2)[:, :, 0]   # [M, S, S]
    r_pi = np.take_along_axis(mdp.rewards, policy[..., None], axis=2)[..., 0]              # [M, S]
    return np.linalg.solve(np.eye(p_pi.shape[-1]) - mdp.gamma * p_pi, r_pi[..., None])[..., 0]


# ---- Lemma 1, Theorems 2 and 3 on random finite MDPs ---------------------------------------------------------------

@dataclass(frozen=True)
class FiniteSettings:
    mdps: int = 100
    states: int = 30
    actions: int = 21
    per_state: int = 3
    gamma: float = 0.99
    epsilons: tuple[float, ...] = (0.1, 0.2, 0.4)
    lambdas: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    pairs: int = 20       # (Q1, Q2) pairs per MDP and operator: half random, half Q2 = Q1 + c + small noise
    seed: int = 0


def _pairs(rng: np.random.Generator, shape: tuple[int, ...], count: int, scale: float):
    """Random pairs, and near-shifted ones (Q2 = Q1 + c + noise) where the gamma bound is almost attained."""
    for i in range(count):
        q1 = rng.normal(0, scale, shape)
        shift = rng.normal(0, scale) + (rng.normal(0, 1e-3 * scale, shape) if i % 2 else rng.normal(0, scale, shape))
        yield q1, q1 + shift


def finite_checks(cfg: FiniteSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(contraction rows: per MDP, epsilon, lambda and operator the largest ratio over the pairs; performance rows:
    per MDP, epsilon and lambda, Theorem 3's quantities)."""
    rng = np.random.default_rng(cfg.seed)
    mdp = random_mdps(rng, cfg.mdps, cfg.states, cfg.actions, cfg.gamma)
    data = dataset_support(rng, mdp.shape, cfg.per_state)
    pairs = list(_pairs(rng, mdp.shape, cfg.pairs, 1.0 / (1.0 - cfg.gamma)))
    index = np.arange(cfg.mdps)

    def contraction_rows(operator, support, name, eps, lam):
        worst = np.max([contraction_ratio(operator, q1, q2, support) for q1, q2 in pairs], axis=0)
        return [dict(mdp=m, operator=name, epsilon=eps, lam=lam, max_ratio=float(r), gamma=cfg.gamma)
                for m, r in zip(index, worst)]

    in_sample = lambda q: in_sample_operator(mdp, q, data)  # noqa: E731
    contraction = contraction_rows(in_sample, data, "T_In", 0.0, 0.0)
    q_in = fixed_point(in_sample, np.zeros(mdp.shape), cfg.gamma)
    v_in = policy_value(mdp, greedy(q_in, data))
    performance = []
    for eps in cfg.epsilons:
        mild = neighbourhood(data, mdp.actions, eps)
        for lam in cfg.lambdas:
            dmg = lambda q: dmg_operator(mdp, q, data, mild, lam)  # noqa: E731
            contraction += contraction_rows(dmg, mild, "T_DMG", eps, lam)
            q_dmg = fixed_point(dmg, np.zeros(mdp.shape), cfg.gamma)
            v_dmg = policy_value(mdp, greedy(q_dmg, mild))
            q_gap = np.where(data, q_dmg - q_in, np.inf).min(axis=(-2, -1))                 # Eq. 50: >= 0
            v_gap = v_dmg - v_in                                                            # Eq. 8: >= 0
            own = (support_max(q_dmg, mild) - v_dmg).max(axis=-1)                           # V*_DMG - V^pi_DMG
            performance += [dict(mdp=m, epsilon=eps, lam=lam, min_q_gap_on_data=float(q_gap[m]),
                                 min_value_gap=float(v_gap[m].min()), mean_value_gap=float(v_gap[m].mean()),
                                 max_v_dmg_minus_its_value=float(own[m])) for m in index]
            log.info("finite MDPs: epsilon %g lambda %g done", eps, lam)
    return pd.DataFrame(contraction), pd.DataFrame(performance)


# ---- Theorem 4: worst-case overestimation with a Lipschitz Q ----------------------------------------------------

@dataclass(frozen=True)
class LipschitzSettings:
    states: int = 20
    grid: int = 201           # actions: a fine grid on [-1, 1] standing for the continuous action space
    per_state: int = 3        # dataset actions per state
    gamma: float = 0.9
    iterations: int = 60
    reward_lipschitz: float = 1.0   # twice the reward's Lipschitz constant in a (see lipschitz_mdp)
    epsilons: tuple[float, ...] = (0.025, 0.05, 0.1, 0.2, 0.4)
    lambdas: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    seed: int = 0


def lipschitz_mdp(rng: np.random.Generator, cfg: LipschitzSettings) -> FiniteMDP:
    """A continuous-action toy: R(s, a) = 1/2 + (K_R / 2 omega) sin(omega a + phi_s) is K_R/2-Lipschitz in a, and
    P(.|s, a) = (1 - w) P0(.|s) + w P1(.|s), w = (1 + a) / 2, is Lipschitz in a (||dP||_1 <= |da|)."""
    actions = np.linspace(-1.0, 1.0, cfg.grid)
    omega, phase = 3.0, rng.uniform(0, 2 * np.pi, cfg.states)
    rewards = 0.5 + cfg.reward_lipschitz / (2 * omega) * np.sin(omega * actions[None, :] + phase[:, None])
    p0, p1 = rng.dirichlet(np.ones(cfg.states), size=(2, cfg.states))
    w = (1 + actions)[None, :, None] / 2
    transitions = (1 - w) * p0[:, None, :] + w * p1[:, None, :]
    return FiniteMDP(transitions[None], rewards[None], cfg.gamma, actions)


def worst_case_extension(q: np.ndarray, data: np.ndarray, actions: np.ndarray, k_q: float) -> np.ndarray:
    """The largest K_Q-Lipschitz function of a agreeing with q on the data (McShane's upper extension):
    min_i (q(s, a_i) + K_Q |a - a_i|). It generalises as badly upwards as Assumption 2 allows. Same shape as q;
    every state holds the same number of dataset actions."""
    count = int(data[(0,) * (data.ndim - 1)].sum())
    where = np.argsort(~data, axis=-1, kind="stable")[..., :count]                  # [..., S, m] dataset actions
    values = np.take_along_axis(q, where, axis=-1)                                  # [..., S, m]
    distance = np.abs(actions[:, None] - actions[where][..., None, :])               # [..., S, A, m]
    return (values[..., None, :] + k_q * distance).min(axis=-1)


def data_lipschitz(q: np.ndarray, data: np.ndarray, actions: np.ndarray) -> float:
    """The largest |q(s, a_i) - q(s, a_j)| / |a_i - a_j| over dataset pairs: the K_Q the data themselves need."""
    worst, q, data = 0.0, q.reshape(-1, q.shape[-1]), data.reshape(-1, data.shape[-1])
    for s in range(q.shape[0]):
        a, v = actions[data[s]], q[s, data[s]]
        if len(a) > 1:
            gaps = np.abs(a[:, None] - a[None, :])
            ratio = np.abs(v[:, None] - v[None, :]) / np.where(gaps > 0, gaps, np.inf)
            worst = max(worst, float(ratio.max()))
    return worst


def overestimation_run(mdp: FiniteMDP, data: np.ndarray, eps: float, lam: float, k_q: float, iterations: int
                       ) -> tuple[np.ndarray, np.ndarray, float]:
    """Iterate T_In and the worst-case T_hat_DMG (beyond the data, the learned Q is the worst K_Q-Lipschitz
    extension) from Q^0 = 0. Returns (max over data of Q_hat_DMG^k - Q_In^k [k], min of it [k], the data's
    largest Lipschitz constant over the iterates)."""
    mild = neighbourhood(data, mdp.actions, eps)
    q_in = q_dmg = np.zeros(mdp.shape)
    gap_max, gap_min, lipschitz = [], [], 0.0
    for _ in range(iterations):
        q_in = in_sample_operator(mdp, q_in, data)
        q_dmg = dmg_operator(mdp, worst_case_extension(q_dmg, data, mdp.actions, k_q), data, mild, lam)
        gap = np.where(data, q_dmg - q_in, np.nan)
        gap_max.append(np.nanmax(gap))
        gap_min.append(np.nanmin(gap))
        lipschitz = max(lipschitz, data_lipschitz(q_dmg, data, mdp.actions), data_lipschitz(q_in, data, mdp.actions))
    return np.array(gap_max), np.array(gap_min), lipschitz


def theorem4_bound(eps: float, lam: float, k_q: float, gamma: float, k: np.ndarray) -> np.ndarray:
    """Eq. 9's overestimation bound lambda eps K_Q gamma (1 - gamma^k) / (1 - gamma)."""
    return lam * eps * k_q * gamma * (1 - gamma ** k) / (1 - gamma)


def overestimation_checks(cfg: LipschitzSettings) -> tuple[pd.DataFrame, float]:
    """One row per (epsilon, lambda, k). K_Q starts at the reward's Lipschitz constant and is raised until every
    iterate's data values are K_Q-Lipschitz, so that Assumption 2 holds for the extension used."""
    rng = np.random.default_rng(cfg.seed)
    mdp = lipschitz_mdp(rng, cfg)
    data = dataset_support(rng, mdp.shape, cfg.per_state)
    k_q = cfg.reward_lipschitz / 2
    for _ in range(50):
        needed = max(overestimation_run(mdp, data, e, lam, k_q, cfg.iterations)[2]
                     for e in cfg.epsilons for lam in cfg.lambdas)
        if needed <= k_q:
            break
        k_q = needed * 1.01
    else:
        raise RuntimeError("no K_Q makes the iterates Lipschitz")
    rows, steps = [], np.arange(1, cfg.iterations + 1)
    for eps in cfg.epsilons:
        for lam in cfg.lambdas:
            gap_max, gap_min, _ = overestimation_run(mdp, data, eps, lam, k_q, cfg.iterations)
            bound = theorem4_bound(eps, lam, k_q, cfg.gamma, steps)
            rows += [dict(epsilon=eps, lam=lam, k=int(k), max_gap=float(g), min_gap=float(n), bound=float(b),
                          k_q=k_q) for k, g, n, b in zip(steps, gap_max, gap_min, bound)]
    return pd.DataFrame(rows), k_q


# ---- Figure 1's mechanism with function approximation ------------------------------------------------------------

@dataclass(frozen=True)
class ToySettings:
    transitions: int = 2000
    behaviour_noise: float = 0.05   # dataset actions: a = -s + N(0, noise^2): a narrow band of the action space
    gamma: float = 0.9
    steps: int = 2000
    batch: int = 128
    hidden: int = 32
    lr: float = 1e-3
    tau: float = 0.01
    expectile: float = 0.7
    action_grid: int = 21           # the generalised max: over the whole action range [-1, 1] (no nu penalty)
    lambdas: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    seeds: tuple[int, ...] = (0, 1, 2)


def toy_data(cfg: ToySettings, seed: int) -> dict[str, torch.Tensor]:
    """A 1-D point: s' = clip(s + 0.5 a), r = 1 - s'^2 in [0, 1]; behaviour a = clip(-s + noise)."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(-1, 1, cfg.transitions)
    a = np.clip(-s + cfg.behaviour_noise * rng.normal(size=s.shape), -1, 1)
    s_next = np.clip(s + 0.5 * a, -1, 1)
    as_tensor = lambda x: torch.as_tensor(x, dtype=torch.float32)  # noqa: E731
    return {"obs": as_tensor(s[:, None]), "act": as_tensor(a[:, None]), "rew": as_tensor(1 - s_next ** 2),
            "next_obs": as_tensor(s_next[:, None])}


def toy_checks(cfg: ToySettings) -> pd.DataFrame:
    """Train, for every (lambda, seed) at once (one ensemble member each), Q and V (expectile regression on
    dataset actions, as IQL / DMG) with DMG's target y = r + gamma (lambda max_a' Q'(s', a') + (1 - lambda) V(s'));
    the max runs over the whole action grid, i.e. over out-of-distribution actions. One row per member: the
    learned Q on its data at the end and whether (and when) it diverged."""
    members = [(lam, seed) for lam in cfg.lambdas for seed in cfg.seeds]
    k = len(members)
    data = [toy_data(cfg, seed) for _, seed in members]
    stacked = {name: torch.stack([d[name] for d in data]) for name in data[0]}          # [K, N, ...]
    lam = torch.tensor([m[0] for m in members], dtype=torch.float32)[:, None]          # [K, 1]
    seeds = [1000 * i + seed for i, (_, seed) in enumerate(members)]
    q_net, q_target = (EnsembleMLP(2, 1, (cfg.hidden, cfg.hidden), k, seeds) for _ in range(2))
    q_target.load_state_dict(q_net.state_dict())
    q_target.requires_grad_(False)
    v_net = EnsembleMLP(1, 1, (cfg.hidden, cfg.hidden), k, [s + 500 for s in seeds])
    q_opt, v_opt = (torch.optim.Adam(n.parameters(), lr=cfg.lr) for n in (q_net, v_net))
    grid = torch.linspace(-1, 1, cfg.action_grid)
    generators = seed_generators(seeds)
    limit = DIVERGENCE_FACTOR * 1.0 / (1 - cfg.gamma)
    diverged_at = torch.zeros(k, dtype=torch.long)
    for step in range(1, cfg.steps + 1):
        idx = sample_indices(generators, cfg.transitions, cfg.batch)                     # [K, B]
        obs, act, nxt = (torch.take_along_dim(stacked[n], idx[..., None], dim=1) for n in ("obs", "act", "next_obs"))
        rew = torch.take_along_dim(stacked["rew"], idx, dim=1)
        with torch.no_grad():
            q_data = q_target(torch.cat([obs, act], -1)).squeeze(-1)
        diff = q_data - v_net(obs).squeeze(-1)
        minimise(v_opt, (torch.abs(cfg.expectile - (diff < 0).float()) * diff ** 2).mean(dim=1))
        with torch.no_grad():
            pairs = torch.cat([nxt.repeat_interleave(len(grid), 1), grid.repeat(cfg.batch)[None, :, None].expand(k, -1, 1)], -1)
            generalised = q_target(pairs).view(k, cfg.batch, len(grid)).max(-1).values
            target = rew + cfg.gamma * (lam * generalised + (1 - lam) * v_net(nxt).squeeze(-1))
        q = q_net(torch.cat([obs, act], -1)).squeeze(-1)
        minimise(q_opt, ((q - target) ** 2).mean(dim=1))
        soft_update(q_target, q_net, cfg.tau)
        q_mean = q.detach().mean(dim=1)
        newly = (diverged_at == 0) & (~torch.isfinite(q_mean) | (q_mean.abs() > limit))
        diverged_at[newly] = step
    with torch.no_grad():
        learned = q_net(torch.cat([stacked["obs"], stacked["act"]], -1)).squeeze(-1).mean(dim=1)
    return pd.DataFrame([dict(lam=lam_k, seed=seed, q=float(learned[i]), diverged=bool(diverged_at[i] > 0),
                              diverged_at=int(diverged_at[i])) for i, (lam_k, seed) in enumerate(members)])


# ---- outputs -----------------------------------------------------------------------------------------------------

def summary_markdown(contraction: pd.DataFrame, performance: pd.DataFrame, overestimation: pd.DataFrame,
                     toy: pd.DataFrame, k_q: float, finite: FiniteSettings, lipschitz: LipschitzSettings,
                     seconds: float, machine: str) -> str:
    last = overestimation[overestimation["k"] == overestimation["k"].max()]
    lines = ["# DMG's theory, numerically", "",
             f"`python -m papers.dmg.theory --out-dir results/dmg/theory`: {seconds:.0f} s on {machine} (shared CPU).",
             "", f"## Lemma 1 and Theorem 2 ({finite.mdps} random MDPs, S = {finite.states}, A = {finite.actions}, "
             f"{finite.per_state} dataset actions per state, gamma = {finite.gamma}, {finite.pairs} random (Q1, Q2) "
             "pairs each)", "",
             "Largest ||T Q1 - T Q2|| / ||Q1 - Q2|| (sup norms over the operator's support):", "",
             "| operator | epsilon | lambda | max ratio | gamma |", "|---|--:|--:|--:|--:|"]
    grouped = contraction.groupby(["operator", "epsilon", "lam"], sort=False)["max_ratio"].max()
    lines += [f"| {op} | {e:g} | {lam:g} | {r:.6f} | {finite.gamma} |" for (op, e, lam), r in grouped.items()]
    lines += ["", "## Theorem 3 (same MDPs; exact policy evaluation)", "",
              "| epsilon | lambda | min Q*_DMG - Q*_In on data | min V^pi_DMG - V^pi_In | mean V^pi_DMG - V^pi_In "
              "| MDPs with V^pi_DMG < V^pi_In somewhere | max V*_DMG - V^pi_DMG |", "|--:|--:|--:|--:|--:|--:|--:|"]
    for (e, lam), d in performance.groupby(["epsilon", "lam"]):
        worse = int((d["min_value_gap"] < -CONTRACTION_TOLERANCE).sum())
        lines.append(f"| {e:g} | {lam:g} | {d['min_q_gap_on_data'].min():.3g} | {d['min_value_gap'].min():.3g} | "
                     f"{d['mean_value_gap'].mean():.3g} | {worse}/{len(d)} | {d['max_v_dmg_minus_its_value'].max():.3g} |")
    lines += ["", f"## Theorem 4 (continuous-action toy: {lipschitz.states} states, {lipschitz.grid}-point action grid, "
              f"{lipschitz.per_state} dataset actions per state, gamma = {lipschitz.gamma}, K_Q = {k_q:.3f}, "
              f"k = {lipschitz.iterations} iterations)", "",
              "Worst-case overestimation max (Q_hat_DMG^k - Q_In^k) on the data against the bound, at the last k:", "",
              "| epsilon | lambda | min gap (>= 0) | max gap | bound | gap / bound |", "|--:|--:|--:|--:|--:|--:|"]
    lines += [f"| {r.epsilon:g} | {r.lam:g} | {r.min_gap:.3g} | {r.max_gap:.4g} | {r.bound:.4g} | "
              f"{(r.max_gap / r.bound if r.bound > 0 else float('nan')):.3f} |" for r in last.itertuples()]
    lines += ["", "## Figure 1's mechanism (neural Q, generalised max over the whole action range)", "",
              "| lambda | learned Q on the data (per seed) | diverged seeds |", "|--:|---|--:|"]
    for lam, d in toy.groupby("lam"):
        lines.append(f"| {lam:g} | {', '.join(f'{q:.3g}' for q in d['q'])} | {int(d['diverged'].sum())} |")
    return "\n".join(lines) + "\n"


def figure(overestimation: pd.DataFrame, toy: pd.DataFrame, out: Path) -> None:
    import matplotlib.pyplot as plt

    from shared.report import figures as style

    style.apply_style()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    last = overestimation[overestimation["k"] == overestimation["k"].max()]
    for lam, d in last.groupby("lam"):
        line = axes[0].plot(d["epsilon"], d["max_gap"], marker="o", label=f"$\\lambda$ = {lam:g}")[0]
        axes[0].plot(d["epsilon"], d["bound"], ls="--", color=line.get_color())
    axes[0].set(xlabel="$\\epsilon_a$", ylabel="max overestimation on the data",
                title="Theorem 4: measured (solid) vs bound (dashed)")
    axes[0].legend(fontsize="small")
    one = overestimation[(overestimation["epsilon"] == overestimation["epsilon"].max()) & (overestimation["lam"] == 1.0)]
    axes[1].plot(one["k"], one["max_gap"], label="measured")
    axes[1].plot(one["k"], one["bound"], ls="--", label="bound")
    axes[1].set(xlabel="iteration k", ylabel="max overestimation",
                title=f"Theorem 4 over k ($\\epsilon$ = {one['epsilon'].max():g}, $\\lambda$ = 1)")
    axes[1].legend(fontsize="small")
    sweep = toy.rename(columns={"lam": "value"})
    style.sweep(sweep.assign(q=sweep["q"].where(~sweep["diverged"])), x="value", y="q", ax=axes[2],
                xlabel="$\\lambda$", ylabel="learned Q on the data", title="Figure 1's mechanism (toy)")
    fig.tight_layout()
    style.save(fig, out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m papers.dmg.theory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, required=True, help="folder for the csv, md and png files")
    parser.add_argument("--mdps", type=int, default=FiniteSettings.mdps, help="random MDPs for Lemma 1 - Theorem 3")
    parser.add_argument("--toy-steps", type=int, default=ToySettings.steps, help="updates per Figure-1 toy run")
    args = parser.parse_args(argv)
    if args.mdps < 1 or args.toy_steps < 1:
        raise SystemExit("--mdps and --toy-steps must be >= 1")
    from shared.provenance import machine_info, machine_text
    from shared.runs import atomic_write_text

    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    finite, lipschitz, toy_cfg = FiniteSettings(mdps=args.mdps), LipschitzSettings(), ToySettings(steps=args.toy_steps)
    contraction, performance = finite_checks(finite)
    log.info("finite MDPs done in %.0f s", time.perf_counter() - started)
    overestimation, k_q = overestimation_checks(lipschitz)
    log.info("Theorem 4 done in %.0f s (K_Q = %.3f)", time.perf_counter() - started, k_q)
    toy = toy_checks(toy_cfg)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (("contraction", contraction), ("performance", performance),
                        ("overestimation", overestimation), ("figure1_toy", toy)):
        atomic_write_text(out / f"{name}.csv", frame.to_csv(index=False))
    figure(overestimation, toy, out / "theory.png")
    seconds = time.perf_counter() - started
    atomic_write_text(out / "theory.md", summary_markdown(contraction, performance, overestimation, toy, k_q, finite,
                                                          lipschitz, seconds, machine_text(machine_info())))
    print(f"wrote {out}/{{contraction,performance,overestimation,figure1_toy}}.csv, theory.md, theory.png "
          f"in {seconds:.0f} s")


if __name__ == "__main__":
    main()
