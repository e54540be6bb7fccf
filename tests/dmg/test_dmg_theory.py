"""DMG's theory (papers/dmg/theory.py): the operators by hand, and Lemma 1, Theorems 2-4 as properties."""
import numpy as np
import pytest

from papers.dmg import theory

GAMMA = 0.9


@pytest.fixture
def finite():
    rng = np.random.default_rng(7)
    mdp = theory.random_mdps(rng, 20, 8, 7, GAMMA)
    data = theory.dataset_support(rng, mdp.shape, 2)
    return rng, mdp, data


def test_operators_by_hand_on_one_state():
    # one state, three actions at -1, 0, 1; the data hold a = 0 only; epsilon 1 reaches all three
    mdp = theory.FiniteMDP(np.ones((1, 1, 3, 1)), np.array([[[0.1, 0.2, 0.3]]]), GAMMA, np.array([-1.0, 0.0, 1.0]))
    data = np.array([[[False, True, False]]])
    mild = theory.neighbourhood(data, mdp.actions, 1.0)
    assert mild.all() and (theory.neighbourhood(data, mdp.actions, 0.5) == data).all()
    q = np.array([[[5.0, 1.0, 3.0]]])
    assert theory.in_sample_operator(mdp, q, data) == pytest.approx(mdp.rewards + GAMMA * 1.0)
    expected = mdp.rewards + GAMMA * (0.25 * 5.0 + 0.75 * 1.0)
    assert theory.dmg_operator(mdp, q, data, mild, 0.25) == pytest.approx(expected)


def test_supports_nest_and_every_state_has_its_dataset_actions(finite):
    _, mdp, data = finite
    assert (data.sum(-1) == 2).all()
    small, large = (theory.neighbourhood(data, mdp.actions, e) for e in (0.2, 0.6))
    assert (small >= data).all() and (large >= small).all() and (theory.neighbourhood(data, mdp.actions, 2.0)).all()
    with pytest.raises(ValueError, match="per_state"):
        theory.dataset_support(np.random.default_rng(0), (3, 4), 5)


def test_lemma1_and_theorem2_contractions_on_their_support(finite):
    rng, mdp, data = finite
    mild = theory.neighbourhood(data, mdp.actions, 0.4)
    operators = {"in": (lambda q: theory.in_sample_operator(mdp, q, data), data),
                 "dmg": (lambda q: theory.dmg_operator(mdp, q, data, mild, 0.5), mild)}
    for operator, support in operators.values():
        ratios = np.concatenate([theory.contraction_ratio(operator, q1, q2, support)
                                 for q1, q2 in theory._pairs(rng, mdp.shape, 10, 10.0)])
        assert ratios.max() <= GAMMA + theory.CONTRACTION_TOLERANCE
        assert ratios.max() > GAMMA - 0.01  # the near-shifted pairs come close: the bound is tight
        # values outside the support never reach the result on the support
        q = rng.normal(size=mdp.shape)
        changed = np.where(support, q, q + 100.0)
        assert np.allclose(np.where(support, operator(q) - operator(changed), 0.0), 0.0)


def test_fixed_points_are_unique_and_theorem3_holds(finite):
    rng, mdp, data = finite
    mild = theory.neighbourhood(data, mdp.actions, 0.4)
    in_sample = lambda q: theory.in_sample_operator(mdp, q, data)  # noqa: E731
    q_in = theory.fixed_point(in_sample, np.zeros(mdp.shape), GAMMA)
    assert np.allclose(in_sample(q_in), q_in, atol=1e-8)
    v_in = theory.policy_value(mdp, theory.greedy(q_in, data))
    for lam in (0.0, 0.5, 1.0):
        dmg = lambda q: theory.dmg_operator(mdp, q, data, mild, lam)  # noqa: E731
        q_dmg = theory.fixed_point(dmg, np.zeros(mdp.shape), GAMMA)
        assert np.allclose(theory.fixed_point(dmg, rng.normal(0, 50, mdp.shape), GAMMA), q_dmg, atol=1e-7)
        assert (np.where(data, q_dmg - q_in, 0.0) >= -1e-8).all()                       # Eq. 50
        v_dmg = theory.policy_value(mdp, theory.greedy(q_dmg, mild))
        assert (v_dmg >= v_in - 1e-8).all()                                             # Theorem 3
        assert (v_dmg >= theory.support_max(q_dmg, mild) - 1e-8).all()  # pi_DMG is worth at least V*_DMG
    lam0 = theory.fixed_point(lambda q: theory.dmg_operator(mdp, q, data, mild, 0.0), np.zeros(mdp.shape), GAMMA)
    assert np.allclose(np.where(data, lam0 - q_in, 0.0), 0.0, atol=1e-8)  # lambda = 0 is in-sample learning


def test_policy_value_solves_the_bellman_equation(finite):
    _, mdp, data = finite
    policy = theory.greedy(mdp.rewards, data)
    v = theory.policy_value(mdp, policy)
    p = np.take_along_axis(mdp.transitions, policy[..., None, None], axis=2)[:, :, 0]
    r = np.take_along_axis(mdp.rewards, policy[..., None], axis=2)[..., 0]
    assert np.allclose(v, r + GAMMA * np.einsum("mst,mt->ms", p, v))


def test_worst_case_extension_is_the_largest_lipschitz_one():
    actions = np.linspace(-1, 1, 21)
    data = np.zeros((1, 21), dtype=bool)
    data[0, [5, 15]] = True
    q = np.zeros((1, 21))
    q[0, 5], q[0, 15] = 1.0, 0.5
    ext = theory.worst_case_extension(q, data, actions, 2.0)
    assert ext[0, 5] == 1.0 and ext[0, 15] == 0.5                   # agrees with consistent data
    assert np.abs(np.diff(ext[0])).max() <= 2.0 * 0.1 + 1e-12        # 2-Lipschitz on a 0.1 grid
    assert ext[0, 6] == pytest.approx(1.0 + 2.0 * 0.1)               # as high as the constant allows
    assert theory.data_lipschitz(q, data, actions) == pytest.approx(0.5 / 1.0)


def test_theorem4_bound_holds_and_tightens():
    cfg = theory.LipschitzSettings(states=6, grid=41, iterations=15, epsilons=(0.05, 0.2), lambdas=(0.0, 0.5, 1.0))
    rows, k_q = theory.overestimation_checks(cfg)
    assert (rows["min_gap"] >= -1e-12).all()                         # Q_In^k <= Q_hat_DMG^k
    assert (rows["max_gap"] <= rows["bound"] + 1e-12).all()          # ... <= Q_In^k + bound
    last = rows[rows["k"] == cfg.iterations].set_index(["epsilon", "lam"])["max_gap"]
    assert last[0.05, 1.0] < last[0.2, 1.0] and last[0.2, 0.5] < last[0.2, 1.0] and last[0.2, 0.0] == 0.0
    assert k_q > 0


def test_figure1_toy_runs_every_lambda_and_seed():
    cfg = theory.ToySettings(transitions=200, steps=20, batch=16, hidden=8, action_grid=5, lambdas=(0.0, 1.0), seeds=(0, 1))
    rows = theory.toy_checks(cfg)
    assert len(rows) == 4 and set(rows["lam"]) == {0.0, 1.0} and np.isfinite(rows["q"]).all()
    assert not rows["diverged"].any()


def test_theory_claims_read_the_outputs(tmp_path):
    import pandas as pd

    from papers.dmg import claims
    from shared.report import Results

    results = Results(tmp_path, pd.DataFrame())
    assert claims.lemma1_contraction(results).verdict == "not run"
    (tmp_path / "theory").mkdir()
    contraction = pd.DataFrame([dict(mdp=0, operator="T_In", epsilon=0.0, lam=0.0, max_ratio=0.95, gamma=0.9),
                                dict(mdp=0, operator="T_DMG", epsilon=0.1, lam=0.5, max_ratio=0.89, gamma=0.9)])
    contraction.to_csv(tmp_path / "theory" / "contraction.csv", index=False)
    assert claims.lemma1_contraction(results).verdict == "fail"      # 0.95 > gamma: not a contraction
    assert claims.theorem2_contraction(results).verdict == "hold"
    toy = pd.DataFrame([dict(lam=lam, seed=s, q=q + 0.1 * s, diverged=div, diverged_at=0)
                        for lam, q, div in ((0.0, 5.0, False), (0.5, 7.0, False), (1.0, 0.0, True)) for s in (0, 1)])
    toy.to_csv(tmp_path / "theory" / "figure1_toy.csv", index=False)
    assert claims.figure1_toy_q_grows(results).verdict == "hold"
    assert claims.figure1_toy_diverges_at_one(results).verdict == "hold"
