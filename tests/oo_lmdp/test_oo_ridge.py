"""Block ridge estimator against the dense closed form on the explicit one-hot (s,a,s') embedding."""
import numpy as np

from papers.oo_lmdp.ridge import BlockRidge

S, A = 3, 2


def dense_feature(s, a, value):
    """phi_V(s,a) in R^{S*A*S}: the (s,a) block equals V (Remark 2.2)."""
    x = np.zeros(S * A * S)
    x[(s * A + a) * S:(s * A + a + 1) * S] = value
    return x


def test_block_ridge_matches_dense_ridge_after_many_rank_one_updates():
    rng = np.random.default_rng(0)
    lam = 0.7
    ridge = BlockRidge.empty(1, S * A, S, lam)
    gram, target = lam * np.eye(S * A * S), np.zeros(S * A * S)
    for _ in range(300):
        s, a = rng.integers(S), rng.integers(A)
        value = rng.uniform(0, 3, size=S)
        y = rng.uniform(0, 3)
        ridge.add(np.array([s * A + a]), value[None], np.array([y]))
        x = dense_feature(s, a, value)
        gram += np.outer(x, x)
        target += x * y
    theta = np.linalg.solve(gram, target)
    np.testing.assert_allclose(ridge.theta[0].reshape(-1), theta, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ridge.logdet()[0], np.linalg.slogdet(gram)[1], rtol=1e-10)
    probe = rng.uniform(0, 3, size=S)
    mean, width = ridge.estimate(probe[None])
    inverse = np.linalg.inv(gram)
    for k in range(S * A):
        x = dense_feature(k // A, k % A, probe)
        np.testing.assert_allclose(mean[0, k], theta @ x, rtol=1e-8)
        np.testing.assert_allclose(width[0, k], np.sqrt(x @ inverse @ x), rtol=1e-8)
        np.testing.assert_allclose(ridge.width_at(np.array([k]), probe[None])[0], np.sqrt(x @ inverse @ x), rtol=1e-8)


def test_prior_gram_enters_like_offline_samples():
    """Lambda = lam I + G_off: starting from G_off equals adding the offline samples one by one."""
    rng = np.random.default_rng(1)
    values = rng.uniform(0, 1, size=(50, S))
    blocks = rng.integers(S * A, size=50)
    ys = rng.uniform(0, 1, size=50)
    gram, target = np.zeros((1, S * A, S, S)), np.zeros((1, S * A, S))
    sequential = BlockRidge.empty(1, S * A, S, 1.0)
    for value, k, y in zip(values, blocks, ys):
        gram[0, k] += np.outer(value, value)
        target[0, k] += value * y
        sequential.add(np.array([k]), value[None], np.array([y]))
    batch = BlockRidge(gram, target, 1.0)
    np.testing.assert_allclose(batch.theta, sequential.theta, atol=1e-10)
    np.testing.assert_allclose(batch.block_logdet, sequential.block_logdet, atol=1e-10)


def test_vtr_regression_is_unbiased_for_the_true_kernel():
    """E[y | x] = <theta, x> with theta = vec(P): fitting VTR samples recovers P(.|s,a) at rate 1/sqrt(n)."""
    rng = np.random.default_rng(2)
    kernel = rng.dirichlet(np.ones(S))
    ridge = BlockRidge.empty(1, 1, S, 1.0)
    n = 20000
    for _ in range(n):
        value = rng.uniform(0, 1, size=S)
        nxt = rng.choice(S, p=kernel)
        ridge.add(np.array([0]), value[None], np.array([value[nxt]]))
    assert np.abs(ridge.theta[0, 0] - kernel).max() < 3 * np.sqrt(S) / np.sqrt(n) * 3
