"""COMBO's appendix theory on random finite MDPs: identities that must hold, counterexamples to the statements
as printed, and the corrected statements (papers/combo/README.md, "Theory, numerically")."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from papers.combo import theory
from shared import tabular as tb


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_lemma_a1_properties_and_remark1(rng):
    grid = np.linspace(0, 1, 41)
    for _ in range(30):
        rho, d = rng.dirichlet(np.full(50, 0.5)), rng.dirichlet(np.full(50, 0.5))
        nu = np.array([tb.expected_penalty(rho, d, f) for f in grid])
        assert nu.min() >= -1e-12 and np.all(np.diff(nu) >= -1e-12)
        assert abs(nu[0]) < 1e-12 and nu[1:].min() > 0
        assert nu[-1] == pytest.approx(tb.chi_square(rho, d), rel=1e-10)
        nu_tilde = np.array([tb.expected_penalty(rho, d, f, weight=d) for f in grid])
        assert nu_tilde.max() <= 1e-12 and abs(nu_tilde[-1]) < 1e-12 and nu_tilde[:-1].max() < 0
    assert tb.expected_penalty(rho, rho, 0.3) == pytest.approx(0.0, abs=1e-14)


def test_remark3_printed_expression_is_not_chi_square(rng):
    rho, d = rng.dirichlet(np.ones(20)), rng.dirichlet(np.ones(20))
    printed = np.sum(rho * (rho / d - 1) ** 2)
    exact = tb.expected_penalty(rho, d, 1.0)
    assert abs(printed - exact) > 0.01 * exact  # counterexample to Remark 3 as printed
    assert exact == pytest.approx(np.sum(d * (rho / d - 1) ** 2), rel=1e-12)  # the corrected form


def test_eq4_is_the_minimiser_of_the_tabular_critic_objective(rng):
    problem = theory.offline_problem(rng, 2000, 0.1)
    f, beta = 0.6, 2.0
    sol = theory.combo_solution(problem, f)
    d, rho = problem.data.d, sol["rho"]
    d_f = tb.mix(d, rho, f)
    target = tb.bellman(sol["m_f"], problem.pi, rng.normal(size=d.shape))

    def objective(x):
        q = x.reshape(d.shape)
        return beta * np.sum((rho - d) * q) + 0.5 * np.sum(d_f * (q - target) ** 2)
    numeric = minimize(objective, np.zeros(d.size), method="BFGS", options=dict(gtol=1e-12)).x.reshape(d.shape)
    np.testing.assert_allclose(numeric, target - beta * sol["pen"], atol=1e-4)
    q = np.zeros_like(d)
    for _ in range(400):
        q = tb.bellman(sol["m_f"], problem.pi, q) - beta * sol["pen"]
    np.testing.assert_allclose(q, sol["q0"] - beta * sol["slope"], atol=1e-10)


def test_prop41_printed_fails_for_large_beta_and_corrected_holds(rng):
    df, checks = theory.lower_bound(rng, 1)
    by = {c.check: c for c in checks}
    assert by["prop41_printed"].violations > 0  # counterexample to the printed bound exists
    assert by["prop41_corrected"].violations == 0
    assert df.prop41_printed_first_beta.dropna().min() > 0  # at beta = 0 the printed bound holds


def test_cor41_slope_zero_at_f0_and_nu_with_rho_from_mf(rng):
    problem = theory.offline_problem(rng, 2000, 0.3)
    start = tb.start_weights(problem.mdp, problem.pi)
    assert abs(np.sum(start * theory.combo_solution(problem, 0.0)["slope"])) < 1e-10  # beta has no effect at f = 0
    f = 0.5
    m_f = theory.combo_solution(problem, f)["m_f"]
    rho_f = tb.occupancy(m_f.P, problem.pi, problem.mdp.mu0, problem.mdp.gamma)
    sol = theory.combo_solution(problem, f, rho=rho_f)
    slope = np.sum(start * sol["slope"])
    assert slope == pytest.approx(tb.expected_penalty(rho_f, problem.data.d, f) / (1 - problem.mdp.gamma), rel=1e-8)
    assert slope > 0
    naive = theory.combo_solution(problem, f)
    assert np.sum(start * naive["slope"]) != pytest.approx(
        tb.expected_penalty(naive["rho"], problem.data.d, f) / (1 - problem.mdp.gamma), rel=1e-3)


def test_prop42_printed_condition_has_counterexamples_corrected_is_exact(rng):
    df, checks = theory.less_conservative(rng, 3)
    by = {c.check: c for c in checks}
    assert by["prop42_printed"].violations > 0
    assert by["prop42_corrected"].violations == 0 and by["prop42_one_step"].violations == 0
    agree = np.sign(df.combo_minus_cql) == np.sign(-df.corrected_condition)
    assert agree.all()
    assert (df.cql_overestimated_states == 0).all() and (df.combo_overestimated_data_pairs > 0).any()


def test_lemma_a2_counterexample_and_corrected_bound(rng):
    row = theory.adversarial_lemma_a2()
    assert row["alpha_printed"] == pytest.approx(0.0) and row["gap"] > 1.0
    assert row["gap"] <= row["alpha_corrected"] + 1e-12
    df, checks = theory.lemma_a2(rng, 2)
    assert (df.gap <= df.alpha_corrected + 1e-9).all()


def test_cli_writes_checks_and_rejects_bad_input(tmp_path, capsys):
    assert theory.main(["--out", str(tmp_path), "--instances", "1"]) == 0
    checks = pd.read_csv(tmp_path / "checks.csv")
    assert {"prop41_corrected", "lemma_a2_corrected", "eq4_minimiser"} <= set(checks.check)
    assert (checks[checks.kind != "printed"].violations == 0).all()
    assert (tmp_path / "lower_bound.png").stat().st_size > 0
    with pytest.raises(SystemExit):
        theory.main(["--out", str(tmp_path), "--instances", "0"])
    assert "--instances must be >= 1" in capsys.readouterr().err
