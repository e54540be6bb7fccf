r"""The paper's theory, checked numerically on random finite MDPs (exact quantities by linear solves).

  python -m papers.ovr.theory --out-dir results/ovr --mdps 100 --seed 0

Writes theory.csv (one row per check and MDP) and theory.md (the summary table). Checks:
  fenchel        x^2 = max_y (2xy - y^2) at y = x; Var_D[W] = E_D[W^2] - max_nu (2 nu E_D[W] - nu^2) at nu = E_D[W]
  eq4_printed    eq 4 as printed, max_nu E_D[-nu^2/2 + nu omega r + omega r^2] = E_D[omega^2 r^2 / 2 + omega r^2],
                 against Var_D[omega r]; counterexample omega = 1, r = c: variance 0, printed 1.5 c^2
  reward_forms   J - lam Var_D[omega r] equals E_D[omega r~] - lam J^2 for the corrected reward
                 r~ = r + 2 lam J r - lam omega r^2, and not for the printed r~ = r - lam (1 + omega) r^2; how often
                 the printed penalty ranks two policies in the other order than the variance does
  lemma1         V_P <= V_D / (1 - gamma)^2 by Monte Carlo: on-policy returns (the proof's case) and the off-policy
                 per-decision IS returns against Var_D[omega r] (the appendix's extension)
  theorem2       coverage of J >= J_N - sqrt((1 - delta) / delta * Var_D[omega r] / N) over resampled datasets
                 (exact and plug-in variance), and of the main-text form without 1/N
  dualdice       the DualDICE objective's exact minimiser (linear solve) reproduces omega = d_pi / d_D; its sample
                 version with single-sample next states: unbiased on deterministic MDPs, biased on stochastic ones
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shared.runs import atomic_write_text

GAMMA = 0.9
N_STATES, N_ACTIONS = 6, 3


@dataclass
class MDP:
    P: np.ndarray      # [S, A, S]
    r: np.ndarray      # [S, A]
    beta: np.ndarray   # [S]
    gamma: float


def random_mdp(rng: np.random.Generator, deterministic: bool = False, n_states: int = N_STATES,
               n_actions: int = N_ACTIONS, gamma: float = GAMMA) -> MDP:
    if deterministic:
        P = np.eye(n_states)[rng.integers(n_states, size=(n_states, n_actions))]
    else:
        P = rng.dirichlet(np.ones(n_states) * 0.5, size=(n_states, n_actions))
    return MDP(P, rng.uniform(0.0, 1.0, (n_states, n_actions)), rng.dirichlet(np.ones(n_states)), gamma)


def random_policy(rng: np.random.Generator, mdp: MDP, concentration: float = 1.0) -> np.ndarray:
    return rng.dirichlet(np.ones(mdp.r.shape[1]) * concentration, size=mdp.r.shape[0])


def deterministic_policy(rng: np.random.Generator, mdp: MDP) -> np.ndarray:
    return np.eye(mdp.r.shape[1])[rng.integers(mdp.r.shape[1], size=mdp.r.shape[0])]


def transition_matrix(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """P_pi[(s,a), (s',a')] = P(s'|s,a) pi(a'|s')."""
    S, A = mdp.r.shape
    return (mdp.P[:, :, :, None] * pi[None, None]).reshape(S * A, S * A)


def occupancy(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """Normalised discounted occupancy d_pi(s,a) = (1 - gamma) sum_t gamma^t P(s_t=s, a_t=a): [S, A]."""
    mu0 = (mdp.beta[:, None] * pi).ravel()
    M = np.eye(mu0.size) - mdp.gamma * transition_matrix(mdp, pi)
    return ((1 - mdp.gamma) * np.linalg.solve(M.T, mu0)).reshape(pi.shape)


def mis_stats(mdp: MDP, pi: np.ndarray, d_data: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(J = E_D[omega r], Var_D[omega r], omega) with exact omega = d_pi / d_D."""
    omega = occupancy(mdp, pi) / d_data
    w = omega * mdp.r
    j = float((d_data * w).sum())
    return j, float((d_data * w**2).sum() - j**2), omega


# --- Fenchel ------------------------------------------------------------------------------------------------------
def fenchel_max(x: float, grid: np.ndarray) -> tuple[float, float]:
    """(max_y 2xy - y^2 over the grid, its argmax)."""
    values = 2 * x * grid - grid**2
    return float(values.max()), float(grid[values.argmax()])


def printed_eq4(omega: np.ndarray, r: np.ndarray, d: np.ndarray) -> float:
    """Eq 4 as printed, at its pointwise maximiser nu = omega r: E_D[omega^2 r^2 / 2 + omega r^2]."""
    return float((d * (0.5 * (omega * r) ** 2 + omega * r**2)).sum())


def objective_by_reward(omega: np.ndarray, r: np.ndarray, d: np.ndarray, lam: float, form: str) -> float:
    """E_D[omega r~] plus the reward-free term of each form (eq 6: + lam/2 E[nu^2]; corrected: - lam J^2)."""
    j = float((d * omega * r).sum())
    if form == "corrected":
        r_tilde = r + 2 * lam * j * r - lam * omega * r**2
        return float((d * omega * r_tilde).sum()) - lam * j**2
    nu = omega * r
    r_tilde = r - lam * nu * r - lam * r**2
    return float((d * omega * r_tilde).sum()) + lam / 2 * float((d * nu**2).sum())


def check_fenchel(rng, mdp: MDP, mu: np.ndarray, pi: np.ndarray, lam: float = 0.5) -> list[dict]:
    d_data = occupancy(mdp, mu)
    j, var, omega = mis_stats(mdp, pi, d_data)
    grid = np.linspace(-5, 5, 200_001)
    x = float(rng.uniform(-3, 3))
    best, arg = fenchel_max(x, grid)
    e_w2 = float((d_data * (omega * mdp.r) ** 2).sum())
    dual, nu_star = fenchel_max(j, grid)
    true_objective = j - lam * var
    rows = [
        {"check": "fenchel", "quantity": "abs(max_y(2xy-y^2) - x^2)", "value": abs(best - x**2), "expected": "<= 1e-8",
         "holds": abs(best - x**2) <= 1e-8 and abs(arg - x) <= 1e-4},
        {"check": "fenchel", "quantity": "abs(E[W^2] - max_nu(...) - Var_D[W]), nu* = E[W]",
         "value": abs(e_w2 - dual - var), "expected": "<= 1e-8", "holds": abs(e_w2 - dual - var) <= 1e-8
         and abs(nu_star - j) <= 1e-4},
        {"check": "eq4_printed", "quantity": "printed eq 4 - Var_D[omega r]",
         "value": printed_eq4(omega, mdp.r, d_data) - var, "expected": "0 if eq 4 were right",
         "holds": abs(printed_eq4(omega, mdp.r, d_data) - var) <= 1e-8},
        {"check": "reward_forms", "quantity": "corrected objective - (J - lam Var)",
         "value": objective_by_reward(omega, mdp.r, d_data, lam, "corrected") - true_objective,
         "expected": "0", "holds": abs(objective_by_reward(omega, mdp.r, d_data, lam, "corrected")
                                       - true_objective) <= 1e-10},
        {"check": "reward_forms", "quantity": "printed objective - (J - lam Var)",
         "value": objective_by_reward(omega, mdp.r, d_data, lam, "printed") - true_objective,
         "expected": "0 if eq 6-7 were right", "holds": abs(objective_by_reward(omega, mdp.r, d_data, lam, "printed")
                                                          - true_objective) <= 1e-10},
    ]
    return rows


def eq4_counterexample(c: float = 2.0) -> dict:
    """omega = 1, r = c everywhere: Var_D[omega r] = 0, printed eq 4 = 1.5 c^2."""
    d, ones = np.full((2, 2), 0.25), np.ones((2, 2))
    value = printed_eq4(ones, c * ones, d)
    return {"check": "eq4_printed", "quantity": f"counterexample omega=1, r={c:g}: printed eq 4 (variance is 0)",
            "value": value, "expected": "0", "holds": abs(value) <= 1e-12}


def ranking_disagreement(rng, mdp: MDP, mu: np.ndarray, n_policies: int = 30) -> dict:
    """Fraction of policy pairs the printed penalty E_D[omega^2 r^2/2 + omega r^2] orders unlike Var_D[omega r]."""
    d_data = occupancy(mdp, mu)
    var, printed = [], []
    for _ in range(n_policies):
        _, v, omega = mis_stats(mdp, random_policy(rng, mdp), d_data)
        var.append(v)
        printed.append(printed_eq4(omega, mdp.r, d_data))
    var, printed = np.array(var), np.array(printed)
    i, j = np.triu_indices(n_policies, 1)
    frac = float(np.mean(np.sign(var[i] - var[j]) != np.sign(printed[i] - printed[j])))
    return {"check": "reward_forms", "quantity": "fraction of policy pairs ranked unlike the variance by printed eq 4",
            "value": frac, "expected": "0 if eq 4 were right", "holds": frac == 0.0}


def sample_rows(rng, probs: np.ndarray) -> np.ndarray:
    """One index per row of a [n, k] matrix of probabilities."""
    return np.minimum((rng.random(len(probs))[:, None] > probs.cumsum(axis=1)).sum(axis=1), probs.shape[1] - 1)


# --- Lemma 1 ------------------------------------------------------------------------------------------------------
def rollout_returns(rng, mdp: MDP, behaviour: np.ndarray, target: np.ndarray, n: int, horizon: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """n episodes under `behaviour`: (discounted return, per-decision IS return for `target`)."""
    s = rng.choice(mdp.r.shape[0], size=n, p=mdp.beta)
    ret, pdis, rho = np.zeros(n), np.zeros(n), np.ones(n)
    for t in range(horizon):
        a = sample_rows(rng, behaviour[s])
        rho = rho * target[s, a] / behaviour[s, a]
        reward = mdp.gamma**t * mdp.r[s, a]
        ret += reward
        pdis += reward * rho
        s = sample_rows(rng, mdp.P[s, a])
    return ret, pdis


def check_lemma1(rng, mdp: MDP, mu: np.ndarray, pi: np.ndarray, n: int = 10_000) -> list[dict]:
    horizon = int(math.ceil(math.log(1e-6) / math.log(mdp.gamma)))
    scale = (1 - mdp.gamma) ** -2
    d_pi = occupancy(mdp, pi)
    j = float((d_pi * mdp.r).sum())
    v_d_on = float((d_pi * mdp.r**2).sum()) - j**2
    on_returns, _ = rollout_returns(rng, mdp, pi, pi, n, horizon)
    _, pdis = rollout_returns(rng, mdp, mu, pi, n, horizon)
    _, v_d_off, _ = mis_stats(mdp, pi, occupancy(mdp, mu))
    return [
        {"check": "lemma1", "quantity": "on-policy V_P / (V_D / (1-gamma)^2)", "value": on_returns.var() / (v_d_on * scale),
         "expected": "<= 1", "holds": on_returns.var() <= v_d_on * scale},
        {"check": "lemma1", "quantity": "off-policy PDIS V_P / (Var_D[omega r] / (1-gamma)^2)",
         "value": pdis.var() / (v_d_off * scale), "expected": "<= 1 (appendix claim)", "holds": pdis.var() <= v_d_off * scale},
    ]


# --- Theorem 2 ----------------------------------------------------------------------------------------------------
def check_theorem2(rng, mdp: MDP, mu: np.ndarray, pi: np.ndarray, n: int = 100, replicates: int = 4000,
                   deltas=(0.05, 0.1, 0.2)) -> list[dict]:
    d_data = occupancy(mdp, mu)
    j, var, omega = mis_stats(mdp, pi, d_data)
    w = (omega * mdp.r).ravel()
    samples = w[rng.choice(w.size, size=(replicates, n), p=d_data.ravel())]
    j_hat, var_hat = samples.mean(axis=1), samples.var(axis=1, ddof=1)
    rows = []
    for delta in deltas:
        k = (1 - delta) / delta
        for label, v, per_n in (("exact Var, 1/N", var, True), ("plug-in Var, 1/N", var_hat, True),
                                ("exact Var, main-text form (no 1/N)", var, False)):
            bound = j_hat - np.sqrt(k * v / (n if per_n else 1))
            coverage = float(np.mean(j >= bound))
            rows.append({"check": "theorem2", "quantity": f"coverage delta={delta:g}, {label}", "value": coverage,
                         "expected": f">= {1 - delta:g}", "holds": coverage >= 1 - delta})
    return rows


# --- DualDICE -----------------------------------------------------------------------------------------------------
def dualdice_exact(mdp: MDP, pi: np.ndarray, d_data: np.ndarray) -> np.ndarray:
    """Minimiser of 1/2 E_D[(nu - gamma P_pi nu)^2] - (1 - gamma) E_{beta, pi}[nu] by its normal equations;
    returns the residual nu - gamma P_pi nu, DualDICE's ratio estimate [S, A]."""
    M = np.eye(d_data.size) - mdp.gamma * transition_matrix(mdp, pi)
    mu0 = (mdp.beta[:, None] * pi).ravel()
    nu = np.linalg.solve(M.T @ np.diag(d_data.ravel()) @ M, (1 - mdp.gamma) * mu0)
    return (M @ nu).reshape(d_data.shape)


def dualdice_samples(rng, mdp: MDP, pi: np.ndarray, d_data: np.ndarray, n: int) -> np.ndarray:
    """The same objective over n sampled (s, a, s', a') and n initial (s0, a0), one-hot features, single-sample
    s' and a'; the per-cell mean residual [S, A]."""
    S, A = mdp.r.shape
    sa = rng.choice(S * A, size=n, p=d_data.ravel())
    s, a = np.divmod(sa, A)
    s_next = sample_rows(rng, mdp.P[s, a])
    a_next = sample_rows(rng, pi[s_next])
    s0 = rng.choice(S, size=n, p=mdp.beta)
    a0 = sample_rows(rng, pi[s0])
    eye = np.eye(S * A)
    e = eye[sa] - mdp.gamma * eye[s_next * A + a_next]
    b = (1 - mdp.gamma) * eye[s0 * A + a0].mean(axis=0)
    nu = np.linalg.lstsq(e.T @ e / n, b, rcond=None)[0]
    residual = e @ nu
    counts = np.bincount(sa, minlength=S * A)
    return (np.bincount(sa, weights=residual, minlength=S * A) / np.maximum(counts, 1)).reshape(S, A)


def check_dualdice(rng, mdp: MDP, mu: np.ndarray, pi: np.ndarray, deterministic: bool,
                   sample_sizes=(1000, 10000)) -> list[dict]:
    label = "deterministic MDP and policy" if deterministic else "stochastic MDP and policy"
    expected = "-> 0 as N grows" if deterministic else "single-sample s', a': biased, need not -> 0"
    d_data = occupancy(mdp, mu)
    omega = occupancy(mdp, pi) / d_data
    exact_err = float(np.abs(dualdice_exact(mdp, pi, d_data) - omega).max())
    rows = [{"check": "dualdice", "quantity": f"{label}: max abs(omega_DualDICE - omega) (exact objective)",
             "value": exact_err, "expected": "<= 1e-8", "holds": exact_err <= 1e-8}]
    for n in sample_sizes:
        est = dualdice_samples(rng, mdp, pi, d_data, n)
        err = float((d_data * np.abs(est - omega)).sum())
        rows.append({"check": "dualdice", "quantity": f"{label}: E_D abs(omega_hat - omega), N={n}", "value": err,
                     "expected": expected, "holds": None})
    return rows


def run_checks(n_mdps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict] = [eq4_counterexample()]
    for m in range(n_mdps):
        mdp = random_mdp(rng)
        mu, pi = random_policy(rng, mdp), random_policy(rng, mdp)
        found = check_fenchel(rng, mdp, mu, pi) + [ranking_disagreement(rng, mdp, mu)]
        found += check_lemma1(rng, mdp, mu, pi) + check_theorem2(rng, mdp, mu, pi)
        found += check_dualdice(rng, mdp, mu, pi, deterministic=False)
        det = random_mdp(rng, deterministic=True)
        found += check_dualdice(rng, det, random_policy(rng, det), deterministic_policy(rng, det),
                                deterministic=True)
        rows += [{"mdp": m, **row} for row in found]
    return pd.DataFrame(rows)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per (check, quantity): MDPs, mean / min / max of the value, and in how many MDPs it holds."""
    out = df.groupby(["check", "quantity"], sort=False).agg(
        mdps=("value", "size"), mean=("value", "mean"), min=("value", "min"), max=("value", "max"),
        expected=("expected", "first"),
        holds=("holds", lambda h: "-" if h.isna().all() else f"{int(h.astype(bool).sum())}/{len(h)}"))
    return out.reset_index()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.ovr.theory", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", required=True, type=Path)
    p.add_argument("--mdps", type=int, default=100, help="random MDPs (6 states, 3 actions, gamma 0.9)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.mdps < 1:
        raise SystemExit(f"--mdps must be >= 1, got {args.mdps}")
    df = run_checks(args.mdps, args.seed)
    table = summary(df)
    atomic_write_text(args.out_dir / "theory.csv", df.to_csv(index=False))
    header = (f"# OVR theory on random finite MDPs ({args.mdps} MDPs, {N_STATES} states x {N_ACTIONS} actions, "
              f"gamma {GAMMA}, seed {args.seed})\n\nCommand: `python -m papers.ovr.theory --out-dir {args.out_dir} "
              f"--mdps {args.mdps} --seed {args.seed}`\n\n")
    atomic_write_text(args.out_dir / "theory.md", header + table.to_markdown(index=False, floatfmt=".4g") + "\n")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
