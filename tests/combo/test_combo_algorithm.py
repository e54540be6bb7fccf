"""COMBO's conservative term, its mixing of real and model data, seed vectorisation and resume."""
import dataclasses
import io
import math

import pytest
import torch

from combo.helpers import ACT, OBS, TINY, batches, set_up, synthetic_data
from shared.rl.combo import COMBO, COMBOConfig, conservative_gap
from shared.runs import load_torch


def test_conservative_gap_on_a_fixed_batch_matches_a_hand_computation():
    q = torch.tensor([[[1.0, 2.0, 0.0, 3.0], [0.5, 0.5, 0.5, 0.5]]])      # K=1, S=2 states, n=4 actions each
    log_p = torch.tensor([[[-1.0, -1.0, 0.0, -2.0], [0.0, 0.0, 0.0, 0.0]]])
    q_data = torch.tensor([[2.0, 4.0, 0.0]])
    lse_0 = math.log((math.exp(2.0) + math.exp(3.0) + math.exp(0.0) + math.exp(5.0)) / 4)
    lse_1 = math.log(math.exp(0.5))
    expected = (lse_0 + lse_1) / 2 - 2.0
    assert conservative_gap(q, log_p, q_data).item() == pytest.approx(expected, rel=1e-6)


def test_conservative_gap_pushes_every_sampled_q_down_and_every_dataset_q_up():
    q = torch.randn(2, 5, 6, requires_grad=True)                          # log-sum-exp over the LAST axis (6)
    q_data = torch.randn(2, 7, requires_grad=True)
    gap = conservative_gap(q, torch.zeros(2, 5, 6), q_data)
    assert gap.shape == (2,)
    gap.sum().backward()
    assert (q.grad > 0).all()                                             # softmax weights / S: all pushed down
    assert torch.allclose(q.grad.sum(-1), torch.full((2, 5), 1 / 5))      # one unit per state, over its 6 actions
    assert torch.allclose(q_data.grad, torch.full((2, 7), -1 / 7))        # all pushed up


@pytest.mark.parametrize("rho", ["model", "mix", "data"])
def test_gradient_of_the_term_reaches_q_at_push_down_and_dataset_pairs(rho):
    algo = set_up(COMBO(OBS, ACT, 1.0, [0], COMBOConfig(**TINY, rho_states=rho)), synthetic_data())
    algo.rollout()
    mixed, n_real = algo.mixed_batch(batches(synthetic_data(), [0], 1)[0])
    states = algo.push_down_states(mixed, n_real).clone().requires_grad_(True)
    data_obs = mixed["observations"][:, :n_real].clone().requires_grad_(True)
    expected_states = {"model": mixed["observations"][:, n_real:], "mix": mixed["observations"],
                       "data": mixed["observations"][:, :n_real]}[rho]
    assert torch.equal(states, expected_states)
    gap1, gap2 = algo.conservative_gaps(states, data_obs, mixed["actions"][:, :n_real])
    (gap1 + gap2).sum().backward()
    assert (states.grad.abs().sum(-1) > 0).all() and (data_obs.grad.abs().sum(-1) > 0).all()


def test_the_batch_mixes_round_f_b_real_and_the_rest_model_transitions():
    data = synthetic_data()
    algo = set_up(COMBO(OBS, ACT, 1.0, [0], COMBOConfig(**TINY, real_fraction=0.75)), data)
    algo.rollout()
    batch = batches(data, [0], 1)[0]
    mixed, n_real = algo.mixed_batch(batch)
    assert n_real == 12 and mixed["observations"].shape == (1, 16, OBS)
    assert torch.equal(mixed["observations"][:, :12], batch["observations"][:, :12])
    model_obs = algo.buffer.data["observations"][0, :algo.buffer.size[0]]
    assert all((model_obs == row).all(-1).any() for row in mixed["observations"][0, 12:])


def run(seeds, steps, config=COMBOConfig(**TINY), cls=COMBO, resume_at=None):
    data = synthetic_data()
    algo = set_up(cls(OBS, ACT, 1.0, seeds, config), data)
    stats = []
    for step, batch in enumerate(batches(data, seeds, steps), start=1):
        stats.append(algo.update(batch, step))
        if step == resume_at:   # what a killed job does: the state through a file into a fresh instance, no setup
            buffer = io.BytesIO()
            torch.save(algo.state_dict(), buffer)
            buffer.seek(0)
            algo = cls(OBS, ACT, 1.0, seeds, config)
            algo.load_state_dict(load_torch(buffer))
    return algo, stats


def test_k_seeds_trained_together_equal_single_seed_runs():
    together, stats = run([0, 1], 7)
    for k, seed in enumerate([0, 1]):
        alone, alone_stats = run([seed], 7)
        for name in ("critic_loss", "regulariser", "actor_loss", "q_mean"):
            assert torch.allclose(stats[-1][name][k], alone_stats[-1][name][0], rtol=1e-3, atol=1e-5), name
        obs = torch.randn(1, 3, OBS)
        assert torch.allclose(together.act(obs.expand(2, 3, OBS))[k], alone.act(obs)[0], atol=1e-4)


def test_resume_from_a_state_dict_equals_the_uninterrupted_run():
    straight, stats = run([0, 1], 8)
    resumed, resumed_stats = run([0, 1], 8, resume_at=4)
    for name in stats[-1]:
        assert torch.equal(stats[-1][name], resumed_stats[-1][name]), name
    for net in ("actor", "critic", "critic_target"):
        for name, value in getattr(straight.sac, net).state_dict().items():
            assert torch.equal(value, getattr(resumed.sac, net).state_dict()[name]), (net, name)


def test_cql_mbpo_is_the_same_code_with_dataset_push_down_states_and_bad_configs_fail_clearly():
    assert dataclasses.replace(COMBOConfig(), rho_states="data").rho_states == "data"
    with pytest.raises(ValueError, match="rho_states"):
        COMBOConfig(rho_states="states")
    with pytest.raises(ValueError, match="real_fraction"):
        COMBOConfig(real_fraction=1.5)
