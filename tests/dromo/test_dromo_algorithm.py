"""DROMO's variance penalties (Eq. 13 and the strict Eq. 17) on top of COMBO."""
import math

import pytest
import torch

from combo.helpers import ACT, OBS, TINY, batches, set_up, synthetic_data
from combo.test_combo_algorithm import run
from papers.dromo.algorithm import DROMO, DROMOConfig, action_variance_penalty, strict_variance_penalty
from shared.rl.combo import COMBO, COMBOConfig

DRO_TINY = dict(TINY, behaviour_steps=20, behaviour_hidden=(16,), dro_actions=4)


def test_penalties_on_fixed_values_match_hand_computations():
    q = torch.tensor([[[1.0, 3.0], [2.0, 2.0]]])                  # K=1, 2 states, 2 actions each
    eps = 1e-6
    assert action_variance_penalty(q, eps).item() == pytest.approx((math.sqrt(1.0 + eps) + math.sqrt(eps)) / 2)
    flat = torch.tensor([[1.0, 3.0, 2.0, 2.0]])                   # variance 0.5 over n = 4 pairs
    assert strict_variance_penalty(flat, eps).item() == pytest.approx(math.sqrt(0.5 / 4 + eps))


def test_the_action_penalty_lowers_q_above_the_state_mean_and_raises_it_below():
    q = torch.tensor([[[1.0, 3.0, 2.0]]], requires_grad=True)
    action_variance_penalty(q, 1e-6).sum().backward()
    assert q.grad[0, 0, 0] < 0 < q.grad[0, 0, 1] and abs(q.grad[0, 0, 2]) < 1e-6


@pytest.mark.parametrize("form", ["action", "strict"])
def test_dromo_with_coefficient_zero_equals_combo_exactly(form):
    _, combo_stats = run([0, 1], 5, COMBOConfig(**TINY), COMBO)
    dromo, dromo_stats = run([0, 1], 5, DROMOConfig(**DRO_TINY, dro_alpha=0.0, dro_form=form), DROMO)
    for name in combo_stats[-1]:
        assert torch.equal(combo_stats[-1][name], dromo_stats[-1][name]), name
    combo, _ = run([0, 1], 5, COMBOConfig(**TINY), COMBO)
    for net in ("actor", "critic", "critic_target"):
        for name, value in getattr(combo.sac, net).state_dict().items():
            assert torch.equal(value, getattr(dromo.sac, net).state_dict()[name]), (net, name)


@pytest.mark.parametrize("form", ["action", "strict"])
def test_a_positive_coefficient_adds_the_penalty_and_changes_training(form):
    _, combo_stats = run([0], 4, COMBOConfig(**TINY), COMBO)
    _, stats = run([0], 4, DROMOConfig(**DRO_TINY, dro_alpha=1.0, dro_form=form), DROMO)
    assert (stats[-1]["penalty"] > 0).all()
    assert not torch.equal(stats[-1]["q_mean"], combo_stats[-1]["q_mean"])


def test_mixture_actions_take_round_f_m_from_the_behaviour_policy_per_state():
    algo = set_up(DROMO(OBS, ACT, 1.0, [0], DROMOConfig(**DRO_TINY, real_fraction=0.75)), synthetic_data())
    # Stubs that tag each source: pi_beta's samples are +0.5, pi's -0.5.
    algo.behaviour.sample = lambda obs, noise: (torch.full((*obs.shape[:2], ACT), 0.5), None)
    algo.sac.actor.sample = lambda obs, noise: (torch.full((*obs.shape[:2], ACT), -0.5), None)
    actions = algo.mixture_actions(torch.zeros(1, 3, OBS)).reshape(1, 3, 4, ACT)
    assert torch.equal(actions[0, :, :, 0], torch.tensor([[0.5, 0.5, 0.5, -0.5]] * 3))   # round(0.75 * 4) = 3


def test_dromo_resume_equals_the_uninterrupted_run():
    config = DROMOConfig(**DRO_TINY, dro_alpha=0.5)
    _, stats = run([0], 6, config, DROMO)
    _, resumed = run([0], 6, config, DROMO, resume_at=3)
    for name in stats[-1]:
        assert torch.equal(stats[-1][name], resumed[-1][name]), name


def test_bad_dromo_configs_fail_clearly():
    with pytest.raises(ValueError, match="dro_form"):
        DROMOConfig(dro_form="both")
    with pytest.raises(ValueError, match="dro_alpha"):
        DROMOConfig(dro_alpha=-1.0)
