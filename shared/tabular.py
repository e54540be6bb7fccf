"""Finite MDPs for checking model-based offline-RL theory exactly: random instances, exact policy evaluation and
occupancies, empirical and perturbed models, f-interpolation and COMBO's / CQL's tabular penalties.

Arrays: P [S, A, S] (P[s, a, s'] = P(s'|s, a)), r [S, A], policies [S, A], state-action vectors flattened as
s * A + a where a matrix is needed. f is the real-data fraction everywhere (COMBO's convention):
d_f = f d + (1 - f) rho, P_f = f P_1 + (1 - f) P_2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MDP:
    P: np.ndarray
    r: np.ndarray
    mu0: np.ndarray
    gamma: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.r.shape


def random_mdp(rng: np.random.Generator, n_states: int, n_actions: int, gamma: float,
               reward_range=(0.0, 1.0), concentration: float = 0.5) -> MDP:
    """Dirichlet(concentration) next-state rows, uniform rewards in reward_range, Dirichlet(1) initial states."""
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma}")
    P = rng.dirichlet(np.full(n_states, concentration), size=(n_states, n_actions))
    r = rng.uniform(*reward_range, size=(n_states, n_actions))
    return MDP(P, r, rng.dirichlet(np.ones(n_states)), gamma)


def softmax_policy(rng: np.random.Generator, n_states: int, n_actions: int, temperature: float = 1.0) -> np.ndarray:
    logits = rng.normal(size=(n_states, n_actions)) / temperature
    z = np.exp(logits - logits.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def policy_transition(P: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """P^pi [SA, SA]: P^pi[(s,a), (s',a')] = P(s'|s,a) pi(a'|s') (the paper's 'Hadamard product')."""
    n_states, n_actions = pi.shape
    return (P[:, :, :, None] * pi[None, None]).reshape(n_states * n_actions, n_states * n_actions)


def resolvent(P: np.ndarray, pi: np.ndarray, gamma: float) -> np.ndarray:
    """S^pi = (I - gamma P^pi)^{-1} [SA, SA]; non-negative, rows sum to 1 / (1 - gamma)."""
    ppi = policy_transition(P, pi)
    return np.linalg.inv(np.eye(ppi.shape[0]) - gamma * ppi)


def evaluate(P: np.ndarray, reward: np.ndarray, pi: np.ndarray, gamma: float) -> np.ndarray:
    """The fixed point of Q = reward + gamma P^pi Q, [S, A]."""
    ppi = policy_transition(P, pi)
    q = np.linalg.solve(np.eye(ppi.shape[0]) - gamma * ppi, reward.reshape(-1))
    return q.reshape(reward.shape)


def q_values(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    return evaluate(mdp.P, mdp.r, pi, mdp.gamma)


def occupancy(P: np.ndarray, pi: np.ndarray, mu0: np.ndarray, gamma: float) -> np.ndarray:
    """Normalised discounted state-action occupancy (1 - gamma) (mu0 pi)^T S^pi, [S, A], sums to 1."""
    start = (mu0[:, None] * pi).reshape(-1)
    ppi = policy_transition(P, pi)
    occ = np.linalg.solve((np.eye(ppi.shape[0]) - gamma * ppi).T, (1.0 - gamma) * start)
    return np.clip(occ, 0.0, None).reshape(pi.shape)


def start_weights(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """mu0(s) pi(a|s), [S, A]: E_{mu0, pi}[Q] = sum(start_weights * Q)."""
    return mdp.mu0[:, None] * pi


def sample_counts(rng: np.random.Generator, mdp: MDP, behaviour: np.ndarray, n: int) -> np.ndarray:
    """Transition counts [S, A, S] of n samples (s, a) ~ d^{pi_beta}, s' ~ P(.|s, a)."""
    n_states, n_actions = mdp.shape
    d = occupancy(mdp.P, behaviour, mdp.mu0, mdp.gamma).reshape(-1)
    pairs = rng.multinomial(n, d / d.sum())
    counts = np.zeros((n_states * n_actions, n_states), dtype=np.int64)
    for index in np.flatnonzero(pairs):
        counts[index] = rng.multinomial(pairs[index], mdp.P.reshape(-1, n_states)[index])
    return counts.reshape(n_states, n_actions, n_states)


@dataclass(frozen=True)
class Dataset:
    """The empirical MDP of a dataset: M-bar, the distribution d(s, a) and the counts |D(s, a)|.

    Unseen pairs get the floor count (the COMBO appendix's "small value < 1") in d and |D|, and a uniform
    next-state row, so every bound stays finite.
    """

    empirical: MDP
    d: np.ndarray
    n_sa: np.ndarray

    @property
    def n_s(self) -> np.ndarray:
        return self.n_sa.sum(1)


def empirical_dataset(counts: np.ndarray, reward: np.ndarray, mu0: np.ndarray, gamma: float,
                      floor: float = 0.5) -> Dataset:
    """Rewards are deterministic and observed, so the empirical reward is the true one where seen."""
    visits = counts.sum(-1)
    n_states = counts.shape[-1]
    P = np.where(visits[..., None] > 0, counts / np.maximum(visits, 1)[..., None], 1.0 / n_states)
    n_sa = np.maximum(visits.astype(float), floor)
    return Dataset(MDP(P, reward.copy(), mu0, gamma), n_sa / n_sa.sum(), n_sa)


def perturbed_model(rng: np.random.Generator, mdp: MDP, epsilon: float, reward_noise: float | None = None) -> MDP:
    """A 'learned model': P-hat = (1 - eps) P + eps Dirichlet(1) rows, r-hat = r + reward_noise N(0, 1)
    (reward_noise defaults to eps times the reward spread)."""
    n_states, n_actions = mdp.shape
    noise = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    spread = float(np.ptp(mdp.r)) or 1.0
    sigma = epsilon * spread if reward_noise is None else reward_noise
    return MDP((1.0 - epsilon) * mdp.P + epsilon * noise, mdp.r + sigma * rng.normal(size=mdp.r.shape), mdp.mu0,
               mdp.gamma)


@dataclass(frozen=True)
class OfflineProblem:
    """A true MDP, a behaviour policy, a policy to evaluate, its dataset and a learned model."""

    mdp: MDP
    behaviour: np.ndarray
    pi: np.ndarray
    data: Dataset
    model: MDP


def random_offline_problem(rng: np.random.Generator, n_states: int, n_actions: int, gamma: float, n_data: int,
                           model_error: float, reward_range=(0.0, 1.0), pi_temperature: float = 0.5
                           ) -> OfflineProblem:
    """Random MDP, softmax behaviour (temperature 1) and evaluated policy, n_data samples from d^{pi_beta},
    and a model with error eps = model_error (perturbed_model)."""
    mdp = random_mdp(rng, n_states, n_actions, gamma, reward_range)
    behaviour = softmax_policy(rng, n_states, n_actions, temperature=1.0)
    pi = softmax_policy(rng, n_states, n_actions, temperature=pi_temperature)
    data = empirical_dataset(sample_counts(rng, mdp, behaviour, n_data), mdp.r, mdp.mu0, gamma)
    return OfflineProblem(mdp, behaviour, pi, data, perturbed_model(rng, mdp, model_error))


def interpolate(m1: MDP, m2: MDP, f: float) -> MDP:
    """The f-interpolant MDP M_f: P = f P_1 + (1 - f) P_2, r = f r_1 + (1 - f) r_2 (COMBO Lemma A.2)."""
    return MDP(f * m1.P + (1.0 - f) * m2.P, f * m1.r + (1.0 - f) * m2.r, m1.mu0, m1.gamma)


def tv_rows(P1: np.ndarray, P2: np.ndarray) -> np.ndarray:
    """Total-variation distance of the next-state rows, [S, A]."""
    return 0.5 * np.abs(P1 - P2).sum(-1)


def mix(d: np.ndarray, rho: np.ndarray, f: float) -> np.ndarray:
    """d_f = f d + (1 - f) rho."""
    return f * d + (1.0 - f) * rho


def combo_penalty(rho: np.ndarray, d: np.ndarray, f: float) -> np.ndarray:
    """(rho - d) / d_f, the per-pair penalty of COMBO's effective backup (Eq. 4); 0 where d_f = 0."""
    d_f = mix(d, rho, f)
    return np.divide(rho - d, d_f, out=np.zeros_like(d_f), where=d_f > 0)


def expected_penalty(rho: np.ndarray, d: np.ndarray, f: float, weight: np.ndarray | None = None) -> float:
    """nu(rho, f) = E_rho[(rho - d) / d_f] (Eq. 5); with weight=d, Remark 1's nu-tilde."""
    w = rho if weight is None else weight
    return float(np.sum(w * combo_penalty(rho, d, f)))


def cql_penalty(pi: np.ndarray, behaviour: np.ndarray) -> np.ndarray:
    """(pi - pi_beta) / pi_beta, CQL's tabular per-pair penalty (Kumar et al. 2020)."""
    return (pi - behaviour) / behaviour


def bellman(mdp: MDP, pi: np.ndarray, q: np.ndarray) -> np.ndarray:
    """B^pi Q = r + gamma P V, V(s) = sum_a pi(a|s) Q(s, a)."""
    return mdp.r + mdp.gamma * mdp.P @ (pi * q).sum(1)


def chi_square(p: np.ndarray, q: np.ndarray) -> float:
    """chi^2(p || q) = sum (p - q)^2 / q."""
    return float(np.sum((p - q) ** 2 / q))


# Recording the outcome of a numerical check of a printed statement (both papers' theory modules).
CHECK_KINDS = ("printed", "corrected", "derived")


@dataclass(frozen=True)
class Check:
    """`violations` of `statement` over `instances` random cases; `worst` is the largest violation found.

    kind: "printed" (the paper's statement as printed), "corrected" (the statement we checked instead),
    "derived" (an identity the paper uses or our notes derived).
    """

    check: str
    statement: str
    kind: str
    instances: int
    violations: int
    worst: float
    note: str = ""

    def __post_init__(self):
        if self.kind not in CHECK_KINDS:
            raise ValueError(f"check {self.check!r}: kind must be one of {CHECK_KINDS}")

    @property
    def verdict(self) -> str:
        return "holds" if self.violations == 0 else "fails"

    def as_row(self) -> dict:
        return {"check": self.check, "kind": self.kind, "statement": self.statement, "instances": self.instances,
                "violations": self.violations, "worst": self.worst, "verdict": self.verdict, "note": self.note}


def markdown_table(rows: list[dict], floatfmt: str = ".4g") -> str:
    """A Markdown table of dict rows (the keys of the first row are the columns)."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return format(float(v), floatfmt)
        return str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def judge_checks(checks_csv, printed: list[str], corrected: list[str] = ()) -> tuple[bool, str] | None:
    """(do all `printed` checks hold, evidence naming each printed and corrected check's violations) from a theory
    module's checks.csv; None when the file or one of the checks is absent (not run)."""
    import pandas as pd
    from pathlib import Path

    if not Path(checks_csv).is_file():
        return None
    df = pd.read_csv(checks_csv).set_index("check")
    if any(name not in df.index for name in (*printed, *corrected)):
        return None

    def line(name):
        row = df.loc[name]
        return f"{name} ({row['kind']}): {int(row['violations'])}/{int(row['instances'])} violations"
    holds = all(int(df.loc[name, "violations"]) == 0 for name in printed)
    return holds, "; ".join(line(name) for name in (*printed, *corrected))


def run_checks(checks: dict, out, instances: int, seed: int) -> tuple[list[Check], dict, dict]:
    """Run each check(rng, instances) -> (detail frame, [Check]) with its own seeded stream, write <name>.csv and
    checks.csv under `out`; returns (all checks, {name: detail frame}, {name: seconds})."""
    import time
    from pathlib import Path

    import pandas as pd
    from shared.runs import atomic_write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    all_checks, details, timings = [], {}, {}
    for i, (name, check) in enumerate(checks.items()):
        start = time.perf_counter()
        details[name], found = check(np.random.default_rng([seed, i]), instances)
        timings[name] = time.perf_counter() - start
        atomic_write_text(out / f"{name}.csv", details[name].to_csv(index=False))
        all_checks += found
    atomic_write_text(out / "checks.csv", pd.DataFrame([c.as_row() for c in all_checks]).to_csv(index=False))
    return all_checks, details, timings


def checks_markdown(checks: list[Check]) -> str:
    columns = ("check", "kind", "statement", "instances", "violations", "worst", "verdict")
    return markdown_table([{k: c.as_row()[k] for k in columns} for c in checks])


def theory_main(argv, doc: str, paper: str, default_instances: int, run) -> int:
    """The CLI of a paper's theory module: --out, --instances, --seed; run(out, instances, seed) -> [Path]."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help=f"output folder (results/{paper}/theory)")
    parser.add_argument("--instances", type=int, default=default_instances,
                        help=f"random instances per cell (default {default_instances})")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    args = parser.parse_args(argv)
    if args.instances < 1:
        parser.error(f"--instances must be >= 1, got {args.instances}")
    print("\n".join(str(p) for p in run(args.out, args.instances, args.seed)))
    return 0


def theory_claim(results, paper: str, name: str, statement: str, printed: list[str], corrected=()):
    """A claim over results/<paper>/theory/checks.csv: holds when every `printed` check holds."""
    from shared.report import Claim

    outcome = judge_checks(results.dir / "theory" / "checks.csv", printed, corrected)
    if outcome is None:
        return Claim.not_run(name, statement, f"{results.dir}/theory/checks.csv missing (rule {paper}_theory)")
    return Claim.check(name, statement, *outcome)
