import numpy as np
import pytest
import torch

from papers.ovr import theory
from papers.ovr.dice import DualDICE


@pytest.fixture(params=[0, 1, 2])
def problem(request):
    rng = np.random.default_rng(request.param)
    mdp = theory.random_mdp(rng)
    return rng, mdp, theory.random_policy(rng, mdp), theory.random_policy(rng, mdp)


def by_quantity(rows):
    return {row["quantity"]: row for row in rows}


def test_occupancy_is_a_distribution_matching_monte_carlo(problem):
    rng, mdp, _, pi = problem
    d = theory.occupancy(mdp, pi)
    assert d.min() > 0 and abs(d.sum() - 1) < 1e-12
    returns, _ = theory.rollout_returns(rng, mdp, pi, pi, 20_000, 150)
    assert abs((1 - mdp.gamma) * returns.mean() - (d * mdp.r).sum()) < 0.01   # J = E_{d_pi}[r]


def test_fenchel_identity_holds_and_printed_eq4_is_not_the_variance(problem):
    rng, mdp, mu, pi = problem
    rows = by_quantity(theory.check_fenchel(rng, mdp, mu, pi))
    assert rows["abs(max_y(2xy-y^2) - x^2)"]["holds"]
    assert rows["abs(E[W^2] - max_nu(...) - Var_D[W]), nu* = E[W]"]["holds"]
    assert not rows["printed eq 4 - Var_D[omega r]"]["holds"]
    assert rows["corrected objective - (J - lam Var)"]["holds"]
    assert not rows["printed objective - (J - lam Var)"]["holds"]


def test_eq4_counterexample_constant_returns():
    row = theory.eq4_counterexample(2.0)
    assert row["value"] == pytest.approx(6.0) and not row["holds"]


def test_lemma1_on_policy_bound_holds_by_monte_carlo(problem):
    rng, mdp, mu, pi = problem
    on_policy = theory.check_lemma1(rng, mdp, mu, pi, n=5000)[0]
    assert on_policy["holds"] and on_policy["value"] < 1


def test_theorem2_bound_with_exact_variance_covers_at_least_one_minus_delta(problem):
    rng, mdp, mu, pi = problem
    for row in theory.check_theorem2(rng, mdp, mu, pi, replicates=2000):
        if "exact Var, 1/N" in row["quantity"]:
            delta = float(row["quantity"].split("delta=")[1].split(",")[0])
            assert row["value"] >= 1 - delta - 0.01


def test_dualdice_exact_objective_recovers_the_ratio_from_linear_solves(problem):
    _, mdp, mu, pi = problem
    d_data = theory.occupancy(mdp, mu)
    np.testing.assert_allclose(theory.dualdice_exact(mdp, pi, d_data), theory.occupancy(mdp, pi) / d_data,
                               atol=1e-9)


def test_dualdice_samples_converge_on_a_deterministic_mdp():
    rng = np.random.default_rng(5)
    mdp = theory.random_mdp(rng, deterministic=True)
    mu, pi = theory.random_policy(rng, mdp), theory.deterministic_policy(rng, mdp)
    d_data = theory.occupancy(mdp, mu)
    omega = theory.occupancy(mdp, pi) / d_data
    errors = [(d_data * np.abs(theory.dualdice_samples(rng, mdp, pi, d_data, n) - omega)).sum() for n in (500, 50_000)]
    assert errors[1] < 0.5 * errors[0] and errors[1] < 0.05


def test_training_dualdice_recovers_known_ratios_on_a_tabular_problem():
    """The estimator OVR trains (papers/ovr/dice.py) on one-hot states and actions (a one-hidden-layer nu can hold the table)."""
    rng = np.random.default_rng(3)
    mdp = theory.random_mdp(rng, deterministic=True, n_states=4, n_actions=2)
    mu, pi = theory.random_policy(rng, mdp), theory.deterministic_policy(rng, mdp)
    d_data = theory.occupancy(mdp, mu)
    omega = theory.occupancy(mdp, pi) / d_data
    S, A = mdp.r.shape
    n = 2000
    sa = rng.choice(S * A, size=n, p=d_data.ravel())
    s, a = np.divmod(sa, A)
    s_next = theory.sample_rows(rng, mdp.P[s, a])
    one_s, one_a = np.eye(S, dtype=np.float32), np.eye(A, dtype=np.float32)
    batch = {"observations": torch.tensor(one_s[s])[None], "actions": torch.tensor(one_a[a])[None],
             "next_observations": torch.tensor(one_s[s_next])[None], "terminals": torch.zeros(1, n)}
    next_actions = torch.tensor(one_a[pi[s_next].argmax(1)])[None]
    s0 = rng.choice(S, size=n, p=mdp.beta)
    init_obs, init_actions = torch.tensor(one_s[s0])[None], torch.tensor(one_a[pi[s0].argmax(1)])[None]
    dice = DualDICE(S, A, [0], mdp.gamma, hidden=(64,), lr=0.01)
    for _ in range(1500):
        dice.step(batch, next_actions, init_obs, init_actions)
    estimate = dice.ratio(batch, next_actions)[0].numpy()
    per_cell = np.bincount(sa, weights=estimate, minlength=S * A) / np.maximum(np.bincount(sa, minlength=S * A), 1)
    assert abs(estimate.mean() - 1.0) < 0.05
    assert (d_data.ravel() * np.abs(per_cell - omega.ravel())).sum() < 0.1
