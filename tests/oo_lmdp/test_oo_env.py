"""Environment family: the shifted kernel's l1 budget and simplex, exact DP against brute force and Monte Carlo."""
import itertools

import numpy as np
import pytest

from papers.oo_lmdp.env import (backward_values, next_states, offline_kernels, policy_values, sample_online_mdps,
                                shifted_kernel)

S, A, H = 5, 10, 3


@pytest.fixture(scope="module")
def mdps():
    return sample_online_mdps([3, 4, 5], S, A)


@pytest.mark.parametrize("delta", [0.0, 0.01, 0.1, 0.5, 1.0, 1.9])
def test_shifted_kernel_is_a_distribution_within_the_l1_budget(mdps, delta):
    kernel, reward = mdps
    worst = backward_values(kernel, reward, H, np.min)[:, 0]
    shifted = shifted_kernel(kernel, worst, delta)
    assert (shifted >= -1e-15).all()
    np.testing.assert_allclose(shifted.sum(-1), 1.0, atol=1e-12)
    distance = np.abs(shifted - kernel).sum(-1)
    assert (distance <= delta + 1e-10).all()
    # the budget is used fully unless all the mass already sits on the worst state
    worst_state = np.argmin(worst, axis=-1)
    p_worst = np.take_along_axis(kernel, worst_state[:, None, None, None], axis=-1)[..., 0]
    np.testing.assert_allclose(distance, np.minimum(delta, 2 * (1 - p_worst)), atol=1e-10)


def test_shift_lowers_the_expected_worst_value_monotonically_and_saturates(mdps):
    kernel, reward = mdps
    worst = backward_values(kernel, reward, H, np.min)[:, 0]
    scores = [np.einsum("rsat,rt->rsa", shifted_kernel(kernel, worst, d), worst) for d in (0, 0.1, 0.5, 1, 2, 10)]
    for before, after in zip(scores, scores[1:]):
        assert (after <= before + 1e-12).all()
    saturated = shifted_kernel(kernel, worst, 10.0)
    np.testing.assert_allclose(saturated, shifted_kernel(kernel, worst, 2.0))
    worst_state = np.argmin(worst, axis=-1)
    np.testing.assert_allclose(np.take_along_axis(saturated, worst_state[:, None, None, None], -1), 1.0)


def test_offline_kernel_equals_online_at_zero_shift(mdps):
    kernel, reward = mdps
    np.testing.assert_allclose(offline_kernels(kernel, reward, H, 0.0), kernel)


def test_negative_shift_is_rejected(mdps):
    with pytest.raises(ValueError, match="delta"):
        shifted_kernel(mdps[0], np.zeros((3, S)), -0.1)


def test_optimal_value_equals_brute_force_over_deterministic_policies():
    kernel, reward = sample_online_mdps([11], 2, 2)
    horizon = 2
    best = max(
        policy_values(kernel, reward, np.array(p).reshape(1, horizon, 2))[0, 0]
        for p in itertools.product(range(2), repeat=horizon * 2)
    )
    assert backward_values(kernel, reward, horizon, np.max)[0, 0, 0] == pytest.approx(best, abs=1e-12)


def test_exact_policy_evaluation_matches_monte_carlo():
    kernel, reward = sample_online_mdps([7], 3, 2)
    rng = np.random.default_rng(0)
    policy = rng.integers(2, size=(1, 3, 3))
    exact = policy_values(kernel, reward, policy)[0, 0]
    n = 200_000
    state, total = np.zeros(n, dtype=int), np.zeros(n)
    for h in range(3):
        action = policy[0, h, state]
        total += reward[0, state, action]
        state = next_states(kernel[0, state, action], rng.random(n))
    assert abs(total.mean() - exact) < 4 * total.std() / np.sqrt(n)


def test_inverse_cdf_sampling_follows_the_row():
    row = np.array([0.1, 0.0, 0.6, 0.3])
    draws = next_states(np.broadcast_to(row, (100_000, 4)), np.random.default_rng(1).random(100_000))
    frequencies = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(frequencies, row, atol=0.01)
    assert frequencies[1] == 0
