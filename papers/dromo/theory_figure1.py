"""Figure 1 recreated: the penalty and the learned Q of COMBO, DROMO (Eq. 13) and strict DROMO (Eq. 17) over the
(s, a) plane of a continuous 1-D toy problem, by fitted policy evaluation with a linear RBF critic.

    python -m papers.dromo.theory_figure1 --out results/dromo/theory [--iterations 40] [--grid 41]

The paper's Fig. 1 is a schematic without data; everything below is our assumption (papers/dromo/README.md lists it):
s, a in [-1, 1]; s' = clip(s + 0.5 a), r = s (high-reward states s > 0: green, low: blue); dataset actions on the
narrow line a = -0.6 s + N(0, 0.03^2) (pi_beta); the evaluated/rollout policy pi(s) = 0.5 + 0.2 s + N(0, 0.05^2)
(red), rolled out 3 steps in a perfect model from dataset states; f = 0.5, gamma = 0.9, beta = 1, alpha = 2;
Q(s, a) = w . phi(s, a), 11 x 11 Gaussian RBFs (width 0.2) and a constant, ridge 1e-3; |D(s)| taken constant
(folded into alpha); Var_{pi^f} from 10 actions per batch state, pi^f = f pi_beta + (1 - f) pi. The one-step
penalty is also given for alpha in ALPHA_SWEEP (figure1_alpha.csv).
The penalty drawn is that of one critic step from the unpenalised fixed point's targets (with minus without the
regulariser); the learned Q is each method's own fixed point. Writes figure1.png, figure1_grid.csv (Q and penalty
per grid cell and method) and figure1.csv (mean penalty on data pairs, rollout pairs and other OOD pairs).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from shared.runs import atomic_write_text

GAMMA, F_REAL, BETA, ALPHA, RIDGE, HORIZON = 0.9, 0.5, 1.0, 2.0, 1e-3, 3
N_DATA, N_ACTION_SAMPLES, NEAR = 300, 10, 0.08
CENTRES = np.stack(np.meshgrid(np.linspace(-1, 1, 11), np.linspace(-1, 1, 11)), -1).reshape(-1, 2)
WIDTH = 0.2
METHODS = ("COMBO", "DROMO", "strict DROMO")
ALPHA_SWEEP = (0.25, 0.5, 1.0, 2.0, 8.0)


def features(s: np.ndarray, a: np.ndarray) -> np.ndarray:
    x = np.stack([s, a], -1)
    sq = ((x[..., None, :] - CENTRES) ** 2).sum(-1)
    return np.concatenate([np.exp(-sq / (2 * WIDTH**2)), np.ones(x.shape[:-1] + (1,))], -1)


def behaviour(rng, s):
    return np.clip(-0.6 * s + 0.03 * rng.normal(size=np.shape(s)), -1, 1)


def policy(rng, s):
    return np.clip(0.5 + 0.2 * s + 0.05 * rng.normal(size=np.shape(s)), -1, 1)


def step(s, a):
    return np.clip(s + 0.5 * a, -1, 1), s  # (next state, reward)


def toy_data(rng) -> dict:
    """Dataset pairs (pi_beta), rollout pairs (pi in the model from dataset states), pi^f action samples."""
    s = rng.uniform(-1, 1, N_DATA)
    a = behaviour(rng, s)
    s_next, r = step(s, a)
    roll_s, roll_a, roll_next, roll_r = [], [], [], []
    state = rng.choice(s, N_DATA // HORIZON)
    for _ in range(HORIZON):
        action = policy(rng, state)
        nxt, rew = step(state, action)
        roll_s.append(state), roll_a.append(action), roll_next.append(nxt), roll_r.append(rew)
        state = nxt
    model = {k: np.concatenate(v) for k, v in zip(("s", "a", "s_next", "r"), (roll_s, roll_a, roll_next, roll_r))}
    batch_s = np.concatenate([s, model["s"]])
    from_beta = rng.uniform(size=(batch_s.size, N_ACTION_SAMPLES)) < F_REAL
    states = np.repeat(batch_s[:, None], N_ACTION_SAMPLES, 1)
    pf_actions = np.where(from_beta, behaviour(rng, states), policy(rng, states))
    next_actions = policy(rng, np.concatenate([s_next, model["s_next"]]))
    return dict(data=dict(s=s, a=a, s_next=s_next, r=r), model=model, batch_s=batch_s, pf_actions=pf_actions,
                next_actions=next_actions)


class Critic:
    """One critic step of each method on the toy batch: argmin_w of Eq. 8 / 13 / 17 for fixed targets y."""

    def __init__(self, toy: dict):
        data, model = toy["data"], toy["model"]
        self.phi = np.concatenate([features(data["s"], data["a"]), features(model["s"], model["a"])])
        self.phi_next = features(np.concatenate([data["s_next"], model["s_next"]]), toy["next_actions"])
        self.reward = np.concatenate([data["r"], model["r"]])
        n_d, n_m = len(data["s"]), len(model["s"])
        self.weight = np.concatenate([np.full(n_d, F_REAL / n_d), np.full(n_m, (1 - F_REAL) / n_m)])  # d_f
        self.push = self.phi[n_d:].mean(0) - self.phi[:n_d].mean(0)  # E_rho[phi] - E_D[phi]
        self.phi_pf = features(np.repeat(toy["batch_s"][:, None], N_ACTION_SAMPLES, 1), toy["pf_actions"])
        self.gram = self.phi.T @ (self.weight[:, None] * self.phi) + RIDGE * np.eye(self.phi.shape[1])

    def targets(self, omega: np.ndarray) -> np.ndarray:
        return self.reward + GAMMA * self.phi_next @ omega

    def step(self, method: str | None, y: np.ndarray, start: np.ndarray | None = None,
             maxiter: int = 500, alpha: float | None = None) -> np.ndarray:
        """method None: plain least squares (no penalty, the reference)."""
        beta = 0.0 if method is None else BETA
        omega = np.linalg.solve(self.gram, self.phi.T @ (self.weight * y) - beta * self.push)  # COMBO: closed form
        if method in ("DROMO", "strict DROMO"):
            omega = minimize(objective, omega if start is None else start, jac=True, method="L-BFGS-B",
                             args=(self.phi, self.weight, y, self.push, self.phi_pf, method,
                                   ALPHA if alpha is None else alpha),
                             options=dict(maxiter=maxiter)).x
        return omega

    def fit(self, method: str | None, iterations: int) -> np.ndarray:
        """Fitted policy evaluation of pi; the DROMO steps are warm-started and refined over iterations."""
        omega = np.zeros(self.phi.shape[1])
        for _ in range(iterations):
            omega = self.step(method, self.targets(omega), start=omega, maxiter=50)
        return omega


def objective(omega, phi, weight, y, push, phi_pf, method, alpha):
    """Eq. 13 (variance over pi^f actions per batch state) or Eq. 17 (variance over the d_f batch), + ridge."""
    resid = phi @ omega - y
    value = 0.5 * np.sum(weight * resid**2) + BETA * push @ omega + 0.5 * RIDGE * omega @ omega
    grad = phi.T @ (weight * resid) + BETA * push + RIDGE * omega
    eps = 1e-8
    if method == "DROMO":
        q = phi_pf @ omega  # [states, M]
        dev = q - q.mean(1, keepdims=True)
        sd = np.sqrt((dev**2).mean(1) + eps)
        n_states = q.shape[0]
        value += alpha * sd.mean()
        centred = phi_pf - phi_pf.mean(1, keepdims=True)
        grad += alpha / n_states * np.einsum("sm,smk->k", dev / (q.shape[1] * sd[:, None]), centred)
    else:
        q = phi @ omega
        mean = weight @ q
        sd = np.sqrt(weight @ (q - mean) ** 2 + eps)
        value += alpha * sd
        grad += alpha * phi.T @ (weight * (q - mean)) / sd
    return value, grad


def near(points_s, points_a, gs, ga) -> np.ndarray:
    dist = np.sqrt((gs[..., None] - points_s) ** 2 + (ga[..., None] - points_a) ** 2).min(-1)
    return dist < NEAR


def run(out: Path, iterations: int, grid: int, seed: int) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    toy = toy_data(np.random.default_rng(seed))
    gs, ga = np.meshgrid(np.linspace(-1, 1, grid), np.linspace(-1, 1, grid), indexing="ij")
    phi_grid = features(gs, ga)
    critic = Critic(toy)
    omega_ref = critic.fit(None, iterations)
    reference = phi_grid @ omega_ref
    q = {m: phi_grid @ critic.fit(m, iterations) for m in METHODS}
    # the penalty's shape (what the paper's Fig. 1 draws): one critic step from the same targets, with and without
    # the regulariser, so the propagated shift of the fixed point does not hide it
    y_ref = critic.targets(omega_ref)
    step_ref = phi_grid @ critic.step(None, y_ref)
    penalties = {m: step_ref - phi_grid @ critic.step(m, y_ref) for m in METHODS}
    data_cell = near(toy["data"]["s"], toy["data"]["a"], gs, ga)
    roll_cell = near(toy["model"]["s"], toy["model"]["a"], gs, ga) & ~data_cell
    other = ~data_cell & ~roll_cell
    cells = pd.DataFrame({"s": gs.ravel(), "a": ga.ravel(), "region": np.select(
        [data_cell.ravel(), roll_cell.ravel()], ["data", "rollout"], "other OOD"), "Q_unpenalised": reference.ravel()})
    rows = []
    for m in METHODS:
        penalty = penalties[m]
        cells[f"Q_{m}"], cells[f"penalty_{m}"] = q[m].ravel(), penalty.ravel()
        regions = (("data", data_cell), ("rollout", roll_cell), ("other_ood", other))
        rows.append(dict(method=m, **{f"step_penalty_{name}": float(penalty[mask].mean()) for name, mask in regions},
                         other_ood_pushed_down=float(np.mean(penalty[other] > 0.05)),
                         other_ood_raised=float(np.mean(penalty[other] < -0.05)),
                         **{f"fixed_point_shift_{name}": float((reference - q[m])[mask].mean())
                            for name, mask in regions}))
    summary = pd.DataFrame(rows)
    sweep = []  # the one-step penalty's regions over alpha: is the picture specific to alpha = ALPHA?
    for alpha in ALPHA_SWEEP:
        for m in METHODS[1:]:
            penalty = step_ref - phi_grid @ critic.step(m, y_ref, alpha=alpha)
            sweep.append(dict(method=m, alpha=alpha, **{f"step_penalty_{name}": float(penalty[mask].mean())
                                                         for name, mask in regions},
                              other_ood_pushed_down=float(np.mean(penalty[other] > 0.05))))
    atomic_write_text(out / "figure1_alpha.csv", pd.DataFrame(sweep).to_csv(index=False))
    atomic_write_text(out / "figure1_grid.csv", cells.to_csv(index=False))
    atomic_write_text(out / "figure1.csv", summary.to_csv(index=False))
    draw(out / "figure1.png", toy, gs, ga, penalties, q)
    return [out / "figure1.png", out / "figure1_grid.csv", out / "figure1.csv", out / "figure1_alpha.csv"]


def draw(path, toy, gs, ga, penalties, q) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from shared.report.figures import apply_style, save

    apply_style()
    fig, axes = plt.subplots(2, len(METHODS), figsize=(4 * len(METHODS), 7), sharex=True, sharey=True)
    limit = max(np.abs(p).max() for p in penalties.values())
    q_lo, q_hi = min(v.min() for v in q.values()), max(v.max() for v in q.values())
    d, m = toy["data"], toy["model"]
    for col, method in enumerate(METHODS):
        top = axes[0, col].pcolormesh(gs, ga, penalties[method], cmap="RdBu_r", vmin=-limit, vmax=limit,
                                      shading="auto")
        bottom = axes[1, col].pcolormesh(gs, ga, q[method], cmap="viridis", vmin=q_lo, vmax=q_hi, shading="auto")
        for ax in axes[:, col]:
            ax.scatter(d["s"][d["s"] > 0], d["a"][d["s"] > 0], s=2, color="limegreen", label="data, high reward")
            ax.scatter(d["s"][d["s"] <= 0], d["a"][d["s"] <= 0], s=2, color="dodgerblue", label="data, low reward")
            ax.scatter(m["s"], m["a"], s=2, color="red", label="model rollouts (π)")
        axes[0, col].set_title(f"{method}: one-step penalty")
        axes[1, col].set_title(f"{method}: learned Q")
        axes[1, col].set_xlabel("state s")
    for row in axes:
        row[0].set_ylabel("action a")
    fig.colorbar(top, ax=axes[0].tolist(), shrink=0.8)
    fig.colorbar(bottom, ax=axes[1].tolist(), shrink=0.8)
    axes[0, 0].legend(loc="lower left", fontsize=7, markerscale=4)
    fig.suptitle("Fig. 1 recreated (toy problem, fitted policy evaluation with an RBF critic; f = 0.5, β = 1, α = 2)",
                 fontsize=10)
    save(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (results/dromo/theory)")
    parser.add_argument("--iterations", type=int, default=40, help="fitted-evaluation iterations (default 40)")
    parser.add_argument("--grid", type=int, default=41, help="grid points per axis for the maps (default 41)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.grid < 2:
        parser.error("--iterations must be >= 1 and --grid >= 2")
    print("\n".join(str(p) for p in run(args.out, args.iterations, args.grid, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
