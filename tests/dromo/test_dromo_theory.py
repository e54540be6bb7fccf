"""DROMO's theory on random finite problems: the chi^2-ball supremum, the exact tabular critic step, the fixed
point and the linear-FA threshold; counterexamples to the printed statements and the corrected ones
(papers/dromo/README.md, "Theory, numerically")."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from papers.dromo import theory, theory_figure1
from shared import tabular as tb


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def test_chi2_ball_sup_against_a_generic_solver_and_the_closed_form(rng):
    for n, alpha in ((5, 1.0), (8, 10.0), (50, 0.1)):
        z = rng.uniform(size=n)
        exact = theory.chi2_ball_sup(z, alpha)
        cons = [dict(type="eq", fun=lambda p: p.sum() - 1),
                dict(type="ineq", fun=lambda p: alpha / n - n * np.sum((p - 1 / n) ** 2))]
        generic = -minimize(lambda p: -p @ z, np.full(n, 1 / n), bounds=[(0, 1)] * n, constraints=cons,
                            method="SLSQP", options=dict(ftol=1e-12, maxiter=500)).fun
        assert exact == pytest.approx(generic, abs=1e-6)
        closed = z.mean() + np.sqrt(alpha * z.var() / n)
        assert exact <= closed + 1e-12
    z = rng.uniform(size=1000)
    assert theory.chi2_ball_sup(z, 1.0) == pytest.approx(z.mean() + np.sqrt(z.var() / 1000), rel=1e-9)


def test_thm31_printed_display_fails_for_small_scale_z(rng):
    z = 0.1 * rng.uniform(size=100)
    alpha, n = 1.0, 100
    printed = z.mean() + np.sqrt(alpha / n) * np.mean(z**2)
    assert theory.chi2_ball_sup(z, alpha) > printed + 1e-6  # counterexample
    assert theory.chi2_ball_sup(z, alpha) <= z.mean() + np.sqrt(alpha * z.var() / n) + 1e-12  # corrected


def _step_problem(rng, consistent):
    problem = tb.random_offline_problem(rng, 6, 3, 0.8, 500, 0.1, (-1.0, 1.0))
    setup = theory.critic_setup(problem, 0.5, consistent)
    target = tb.bellman(setup["m_f"], problem.pi, rng.normal(size=setup["d"].shape)) - 0.5 * setup["pen"]
    return setup, target


@pytest.mark.parametrize("alpha", [3.0, 30.0, 300.0])
def test_dromo_step_is_the_exact_minimiser(rng, alpha):
    setup, target = _step_problem(rng, consistent=False)
    c = alpha * setup["d_f"].sum(1) / np.sqrt(setup["n_s"])
    q, _ = theory.dromo_step(target, setup["d_f"], setup["pf"], c)
    best = theory.dromo_objective(q, target, setup["d_f"], setup["pf"], c)
    generic = minimize(lambda x: theory.dromo_objective(x.reshape(q.shape), target, setup["d_f"], setup["pf"], c),
                       target.reshape(-1), method="Nelder-Mead",
                       options=dict(maxiter=40000, xatol=1e-10, fatol=1e-14)).fun
    assert best <= generic + 1e-9


def test_lemma41_printed_is_not_the_minimiser_soft_threshold_is(rng):
    alpha = 30.0
    setup, target = _step_problem(rng, consistent=True)
    c = alpha * setup["d_f"].sum(1) / np.sqrt(setup["n_s"])
    exact, _ = theory.dromo_step(target, setup["d_f"], setup["pf"], c)
    np.testing.assert_allclose(theory.soft_threshold_step(target, setup["pf"], alpha, setup["n_s"]), exact,
                               atol=1e-7)
    eq15 = theory.lemma41_update(target, setup["pf"], alpha, setup["n_s"])
    assert np.abs(eq15 - exact).max() > 1e-3  # counterexample to Eq. 15
    np.testing.assert_allclose((setup["pf"] * exact).sum(1), (setup["pf"] * target).sum(1), atol=1e-9)
    assert (exact > target + 1e-9).any()  # the variance penalty raises some Q-values


def test_fixed_point_bounds(rng):
    df, checks = theory.lower_bound_gap(rng, 1)
    by = {c.check: c for c in checks}
    assert by["fixed_point_converged"].violations == 0
    assert by["thm42_corrected"].violations == 0
    assert by["thm42_printed"].violations > 0  # counterexample to the printed pointwise bound
    assert (df[df.alpha == 0].raised_vs_combo == 0).all()


def test_thm44_printed_one_step_threshold_has_the_wrong_sign(rng):
    df, checks = theory.theorem_4_4_step(rng, 2)
    by = {c.check: c for c in checks}
    assert by["thm44_step_printed"].violations > 0
    assert by["thm44_step_combo"].violations == 0 and by["thm44_step_large_beta"].violations == 0
    combo = df[(df.alpha == 0) & (df.beta_combo > 0)]
    np.testing.assert_allclose(combo.beta_sign_fixed, combo.beta_combo, rtol=1e-9)


def test_thm45_corrected_threshold_exact_printed_has_counterexamples(rng):
    df, checks = theory.theorem_4_5(rng, 2)
    by = {c.check: c for c in checks}
    assert by["thm45_corrected"].violations == 0
    assert by["thm45_printed"].violations > 0
    assert by["thm45_star_identity"].violations > 0


def test_thm45_star_identity_holds_for_tabular_features(rng):
    n = 12
    rho, d = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    d_f, mu_pi = tb.mix(d, rho, 0.5), rng.dirichlet(np.ones(n))
    F = np.eye(n)
    star = mu_pi @ F @ np.linalg.inv(F.T @ (d_f[:, None] * F)) @ F.T @ (rho - d)
    assert star == pytest.approx(mu_pi @ ((rho - d) / d_f), rel=1e-10)


def test_figure1_objective_gradient_and_alpha_zero_is_combo(rng, monkeypatch):
    toy = theory_figure1.toy_data(np.random.default_rng(0))
    critic = theory_figure1.Critic(toy)
    omega = rng.normal(size=critic.phi.shape[1]) * 0.3
    y = critic.targets(omega)
    for method in ("DROMO", "strict DROMO"):
        args = (critic.phi, critic.weight, y, critic.push, critic.phi_pf, method, 2.0)
        _, grad = theory_figure1.objective(omega, *args)
        e = np.zeros_like(omega)
        e[5] = 1e-6
        numeric = (theory_figure1.objective(omega + e, *args)[0] - theory_figure1.objective(omega - e, *args)[0]) / 2e-6
        assert grad[5] == pytest.approx(numeric, rel=1e-4, abs=1e-8)
    monkeypatch.setattr(theory_figure1, "ALPHA", 0.0)
    np.testing.assert_allclose(critic.step("DROMO", y), critic.step("COMBO", y), atol=1e-5)


def test_cli_rejects_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit):
        theory.main(["--out", str(tmp_path), "--instances", "0"])
    assert "--instances must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        theory_figure1.main(["--out", str(tmp_path), "--grid", "1"])
    assert "--grid" in capsys.readouterr().err
    assert pd.DataFrame([tb.Check("x", "s", "printed", 1, 0, 0.0).as_row()]).verdict.item() == "holds"
