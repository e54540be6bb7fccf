"""Offline designs: round-robin Gram structure, τ-control, the code's index shift, convergence of pooled θ."""
import numpy as np
import pytest

from papers.oo_lmdp import offline
from papers.oo_lmdp.env import offline_kernels, sample_online_mdps

S, A, H = 5, 10, 3


@pytest.fixture(scope="module")
def data():
    kernel, reward = sample_online_mdps([3], S, A)
    shifted = offline_kernels(kernel, reward, H, 0.0)[0]
    draws = offline.BehaviourDraws.draw(3, 20_000, H, A)
    states = offline.rollout(shifted, 0, draws.actions, draws.step_uniform)
    return kernel[0], states, draws


def test_round_robin_gram_is_diagonal_and_balanced(data):
    _, states, draws = data
    kept = np.ones(draws.actions.shape, dtype=bool)
    gram, target = offline.round_robin_design(states, draws.actions, kept, S, A)
    off_diagonal = gram - np.einsum("kss->ks", gram)[..., None] * np.eye(S)
    assert not off_diagonal.any()
    diagonal = np.einsum("kss->ks", gram)
    assert (diagonal.max(-1) - diagonal.min(-1) <= 1).all()
    visits = np.bincount((states[:, :-1] * A + draws.actions).ravel(), minlength=S * A)
    np.testing.assert_array_equal(diagonal.sum(-1), visits)  # every sample gets exactly one probe
    assert ((target >= 0) & (target <= diagonal)).all()


def test_round_robin_follows_the_argmin_rule_sequentially(data):
    """Against a literal loop of Def. 4.10 (s* = first argmin of the counts) on a small prefix."""
    _, states, draws = data
    states, actions = states[:300], draws.actions[:300]
    counts = np.zeros((S * A, S), dtype=int)
    hits = np.zeros((S * A, S))
    for m in range(300):
        for h in range(H):
            k = states[m, h] * A + actions[m, h]
            probe = int(np.argmin(counts[k]))
            counts[k, probe] += 1
            hits[k, probe] += states[m, h + 1] == probe
    gram, target = offline.round_robin_design(states, actions, np.ones((300, H), bool), S, A)
    np.testing.assert_array_equal(np.einsum("kss->ks", gram), counts)
    np.testing.assert_array_equal(target, hits)


def test_pooled_estimate_converges_to_the_offline_kernel(data):
    kernel, states, draws = data
    gram, target = offline.round_robin_design(states, draws.actions, np.ones(draws.actions.shape, bool), S, A)
    theta = np.linalg.solve(gram + np.eye(S), target[..., None])[..., 0]
    n = np.einsum("kss->ks", gram)
    error = np.abs(theta - kernel.reshape(S * A, S))
    well_sampled = n.min(-1) > 200
    assert well_sampled.sum() > 10
    assert (error[well_sampled] < 4.0 / np.sqrt(n[well_sampled])).all()


def test_coverage_grows_with_the_keep_probability_and_vanishes_without_probes(data):
    _, states, draws = data
    taus = []
    for keep in (0.0, 0.1, 0.5, 1.0):
        kept = offline.kept_samples(states, draws.keep_uniform, keep, S)
        gram, _ = offline.round_robin_design(states, draws.actions, kept, S, A)
        taus.append(offline.coverage(gram[None], len(states))[0])
    assert taus[0] == 0.0  # blocks of S1 states get no probe at all
    assert taus[1] < taus[2] < taus[3]
    assert taus[1] / taus[3] == pytest.approx(0.1, rel=0.35)  # roughly linear in the keep probability


def test_code_index_shift_lowers_coverage_and_drops_the_last_stage(data):
    _, states, draws = data
    kept = np.ones(draws.actions.shape, dtype=bool)
    faithful, _ = offline.round_robin_design(states, draws.actions, kept, S, A, index_shift=0)
    shifted, _ = offline.round_robin_design(states, draws.actions, kept, S, A, index_shift=1)
    assert np.trace(shifted, axis1=-2, axis2=-1).sum() == len(states) * (H - 1)
    assert offline.coverage(shifted[None], len(states)) < offline.coverage(faithful[None], len(states))


def test_stage_counts_count_every_kept_transition(data):
    _, states, draws = data
    kept = offline.kept_samples(states, draws.keep_uniform, 0.3, S)
    counts = offline.stage_counts(states, draws.actions, kept, S, A)
    assert counts.sum() == kept.sum()
    assert counts[0].sum(axis=(1, 2))[0] == kept[:, 0].sum()  # every trajectory starts in s1 = 0


def test_pessimistic_probes_are_values_and_nearly_collinear(data):
    """The pessimistic design regresses on value functions in [0, H]: its Gram blocks are close to rank one."""
    kernel, states, draws = data
    _, reward = sample_online_mdps([3], S, A)
    gram, target = offline.pessimistic_design(states[None, :2000], draws.actions[None, :2000], reward, H, 1.0, 0.02)
    eig = np.linalg.eigvalsh(gram[0])
    used = eig[:, -1] > 0
    assert (eig[used, 0] / eig[used, -1] < 0.05).all()
    # 2000 trajectories x (H-1) informative stages, each probe in [0, H-1]^S: ||V||^2 <= S (H-1)^2
    assert 0 < np.trace(gram[0], axis1=-2, axis2=-1).sum() <= 2000 * (H - 1) * S * (H - 1) ** 2
