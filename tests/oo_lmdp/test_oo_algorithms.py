"""Online algorithms: tie-breaking, DP-LSVI weights, the safeguard, learning behaviour, determinism."""
import numpy as np
import pytest

from papers.oo_lmdp.experiments import run_experiment
from papers.oo_lmdp.planning import greedy_policy
from papers.oo_lmdp.rng import stream_keys, uniforms
from papers.oo_lmdp.tabular import pooling_weight
from papers.oo_lmdp.vtr import RadiusConstants, shift_term

MODEL = {
    "environment": {"n_states": 5, "n_actions": 10, "horizon": 3, "start_state": 0},
    "lam": 1.0, "norm_bound": 2.0, "probe_index_shift": 0, "pessimism_scale": 1.0,
    "bonus": {"UCRL": 0.02, "O-O UCRL-VTR (Optimal)": 0.02, "O-O UCRL-VTR (Pessimistic)": 0.02,
              "COMPLETE": 0.015, "DP-LSVI": 0.05, "UCBVI": 0.0002},
}


def spec(**overrides):
    base = {"figures": [], "seed_offset": 200000, "runs": 4, "episodes": 600, "m_off": 100000,
            "sweep": "delta", "values": [0.01, 10.0], "methods": ["UCRL", "O-O UCRL-VTR (Optimal)"]}
    return {**base, **overrides}


@pytest.fixture(scope="module")
def delta_sweep():
    return run_experiment("test", spec(), MODEL)


def test_ties_are_broken_uniformly_and_non_ties_never_lose():
    q = np.array([[1.0, 3.0, 3.0, 2.0, 3.0]])
    picks = greedy_policy(np.repeat(q, 30000, 0), np.random.default_rng(0).random(30000))
    assert set(np.unique(picks)) == {1, 2, 4}
    np.testing.assert_allclose(np.bincount(picks, minlength=5)[[1, 2, 4]] / 30000, 1 / 3, atol=0.01)


def test_counter_based_streams_do_not_depend_on_the_batch():
    keys = stream_keys([5, 6, 7])
    together = uniforms(keys, 12, 8)
    np.testing.assert_array_equal(together[1], uniforms(keys[1:2], 12, 8)[0])
    assert ((together >= 0) & (together < 1)).all()
    assert not np.array_equal(uniforms(keys, 13, 8), together)
    assert abs(uniforms(keys, 0, 100_000).mean() - 0.5) < 0.005


def test_dp_lsvi_weight_closed_forms():
    log_term = 10.0
    n, big_n, delta = np.array([4.0]), np.array([100.0]), np.array([0.1])
    expected = (4 + 100 * 4 * 0.1 / np.sqrt(104 * 10 / 2 - 0.01 * 400)) / 104
    np.testing.assert_allclose(pooling_weight(n, big_n, delta, log_term), expected)
    assert pooling_weight(np.array([0]), np.array([100]), delta, log_term) == 0.0  # no online data: all offline
    assert pooling_weight(np.array([500]), np.array([100]), delta, log_term) == 1.0  # n >= L / (2 Delta^2)
    assert pooling_weight(np.array([4]), np.array([100]), np.array([0.0]), log_term) == 1.0


def test_confidence_radius_closed_form():
    constants = RadiusConstants(lam=2.0, norm_bound=2.0, conf_delta=0.01, noise_scale=3.0)
    logdet, dim = np.array([40.0]), 10
    expected = 3.0 * np.sqrt(40.0 - 10 * np.log(2.0) + 2 * np.log(100.0)) + np.sqrt(2.0) * 2.0
    np.testing.assert_allclose(constants.radius(logdet, dim), expected)


def test_shift_term_uses_extreme_eigenvalues_over_blocks():
    gram = np.zeros((1, 2, 2, 2))
    gram[0, 0] = np.diag([4.0, 1.0])
    gram[0, 1] = np.diag([9.0, 3.0])
    np.testing.assert_allclose(shift_term(np.array([0.5]), gram, 1.0), 0.5 * 9.0 / np.sqrt(2.0))


def test_large_shift_falls_back_exactly_to_online_only(delta_sweep):
    """Δ = 10: the pooled ellipsoid is never the tighter one, so O-O reproduces UCRL's regret (same randomness)."""
    np.testing.assert_array_equal(delta_sweep.regret["O-O UCRL-VTR (Optimal)", "Delta=10"],
                                  delta_sweep.regret["UCRL", "Delta=10"])


def test_offline_data_help_when_the_shift_is_small(delta_sweep):
    ours = delta_sweep.regret["O-O UCRL-VTR (Optimal)", "Delta=0.01"].sum(1).mean()
    online = delta_sweep.regret["UCRL", "Delta=0.01"].sum(1).mean()
    assert ours < 0.6 * online


def test_online_only_regret_is_sublinear():
    """After UCRL's exploration burst (episodes ~500-1500 here) its cumulative regret grows like sqrt(k)."""
    result = run_experiment("sublinear", spec(episodes=3000, values=[0.01], methods=["UCRL"]), MODEL)
    regret = result.regret["UCRL", "Delta=0.01"]
    cumulative = regret.cumsum(1).mean(0)
    k = np.arange(1000, 3001)
    assert np.polyfit(np.log(k), np.log(cumulative[k - 1]), 1)[0] < 0.8
    assert regret[:, -300:].mean() < regret[:, 1000:1300].mean()
    assert (regret >= -1e-12).all()  # expected regret against V* is never negative


def test_same_seed_same_numbers_and_runs_do_not_depend_on_the_batch(delta_sweep):
    small = spec(runs=2, episodes=80, values=[0.01], m_off=3000,
                 methods=["UCRL", "COMPLETE", "O-O UCRL-VTR (Optimal)", "DP-LSVI", "UCBVI"])
    first, again = run_experiment("a", small, MODEL), run_experiment("b", small, MODEL)
    larger = run_experiment("c", {**small, "runs": 3}, MODEL)
    for key, regret in first.regret.items():
        np.testing.assert_array_equal(regret, again.regret[key])
        np.testing.assert_array_equal(regret, larger.regret[key][:2])


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="unknown methods"):
        run_experiment("bad", spec(methods=["UCRL", "SAC"]), MODEL)


def test_min_of_two_ellipsoid_maxima_upper_bounds_the_intersection_max():
    """Eq. 69: min of the closed-form maxima over C_k and C~_k >= the exact max over C_k ∩ C~_k (a QCQP)."""
    from scipy.optimize import minimize

    from papers.oo_lmdp.ridge import BlockRidge

    rng = np.random.default_rng(3)
    truth = rng.dirichlet(np.ones(3))
    samples = [(v := rng.uniform(0, 1, 3), v[rng.choice(3, p=truth)]) for _ in range(40)]
    online, pooled = BlockRidge.empty(1, 1, 3, 1.0), BlockRidge.empty(1, 1, 3, 1.0)
    for value, y in samples[:10]:
        online.add(np.array([0]), value[None], np.array([y]))
    for value, y in samples:
        pooled.add(np.array([0]), value[None], np.array([y]))
    beta, gamma = 1.5, 0.8
    x = rng.uniform(0, 1, 3)
    (mean_on,), (width_on,) = (a[0] for a in online.estimate(x[None]))
    (mean_all,), (width_all,) = (a[0] for a in pooled.estimate(x[None]))
    closed_form = min(mean_on + beta * width_on, mean_all + gamma * width_all)
    centres = (online.theta[0, 0], pooled.theta[0, 0])
    grams = (online.gram[0, 0], pooled.gram[0, 0])
    constraints = [{"type": "ineq", "fun": lambda t, c=c, g=g, r=r: r**2 - (t - c) @ g @ (t - c)}
                   for c, g, r in zip(centres, grams, (beta, gamma))]
    exact = -minimize(lambda t: -t @ x, centres[1], constraints=constraints, method="SLSQP").fun
    assert exact <= closed_form + 1e-6
    assert all(r**2 - (truth - c) @ g @ (truth - c) >= 0 for c, g, r in zip(centres, grams, (beta, gamma)))
    assert truth @ x <= exact + 1e-6  # optimism when the truth lies in both sets


def test_regret_stays_below_the_proof_quantity_with_theory_bonus():
    """With c = 1 (the radii of Theorem 4.2), E[Regret(k)] <= E[sum_j sum_h min{H, 2 beta ||x||, 2 gamma ||x||}].

    A 2-state, 2-action MDP so that blocks are visited often enough for the quantity to drop below H.
    """
    model = {**MODEL, "environment": {"n_states": 2, "n_actions": 2, "horizon": 3, "start_state": 0}}
    result = run_experiment("theory", spec(runs=3, episodes=3000, values=[0.05], m_off=2000, bonus_override=1.0),
                            model)
    for method in ("UCRL", "O-O UCRL-VTR (Optimal)"):
        regret = result.regret[method, "Delta=0.05"].cumsum(1).mean(0)
        bound = result.bound[method, "Delta=0.05"].cumsum(1).mean(0)
        assert (regret <= bound).all()
        assert bound[-1] < 0.9 * 3.0 * 2 * 3000  # below H per informative sample: a non-trivial bound
