import copy
import math

import pytest
import torch

from shared.baselines import IQL, IQLConfig
from shared.baselines.iql import locomotion_reward_scale
from baseline_fixtures import fixed_batch, make_action_probe, make_constant

GAMMA = 0.99


def test_iql_value_loss_is_expectile_regression_onto_target_critic():
    batch = fixed_batch(batch_size=16)
    iql = IQL(3, 2, max_action=1.0, seeds=[0, 1])
    make_action_probe(iql.critic_target.q1, obs_dim=3)  # Q'(s, a) = a[0]
    make_action_probe(iql.critic_target.q2, obs_dim=3)
    make_constant(iql.value.net, 0.1)
    out = iql.update(batch, 0)
    diff = batch["actions"][..., 0] - 0.1
    weight = torch.where(diff < 0, 0.3, 0.7)
    torch.testing.assert_close(out["value_loss"], (weight * diff ** 2).mean(dim=1))


def test_iql_actor_loss_is_capped_advantage_weighted_gaussian_log_likelihood():
    batch = fixed_batch(batch_size=8)
    iql = IQL(3, 2, max_action=1.0, seeds=[0, 1], config=IQLConfig(temperature=3.0, max_weight=100.0))
    make_constant(iql.actor.mean_net, math.atanh(0.2))  # mean action 0.2, log-std 0 (std 1)
    make_constant(iql.value.net, 0.5)
    q_target = torch.linspace(-1.0, 2.5, 16).view(2, 8)  # advantages up to 2 -> exp(6) > 100 gets capped
    loss, weights = iql.update_actor(batch["observations"], batch["actions"], q_target)
    expected_w = torch.clamp(torch.exp(3.0 * (q_target - 0.5)), max=100.0)
    log_prob = (-0.5 * (batch["actions"] - 0.2) ** 2 - 0.5 * math.log(2 * math.pi)).sum(dim=-1)
    torch.testing.assert_close(weights, expected_w)
    torch.testing.assert_close(loss, -(expected_w * log_prob).mean(dim=1))
    assert weights.max() == 100.0


def test_iql_critic_loss_bootstraps_from_value_of_next_state():
    batch = fixed_batch()
    iql = IQL(3, 2, max_action=1.0, seeds=[0, 1])
    make_constant(iql.value.net, 2.0)
    make_constant(iql.critic.q1, 1.0)
    make_constant(iql.critic.q2, 3.0)
    loss, _ = iql.update_critic(batch)
    target = batch["rewards"] + GAMMA * (1 - batch["terminals"]) * 2.0
    torch.testing.assert_close(loss, ((1.0 - target) ** 2).mean(dim=1) + ((3.0 - target) ** 2).mean(dim=1))


def test_iql_actor_learning_rate_follows_cosine_decay_to_zero():
    batch = fixed_batch()
    iql = IQL(3, 2, max_action=1.0, seeds=[0], config=IQLConfig(cosine_steps=4))
    batch = {k: v[:1] for k, v in batch.items()}
    lrs = []
    for t in range(6):
        lrs.append(iql.actor_opt.param_groups[0]["lr"])
        iql.update(batch, t)
    expected = [3e-4 * 0.5 * (1 + math.cos(math.pi * min(t, 4) / 4)) for t in range(6)]
    assert lrs == pytest.approx(expected, abs=1e-12)
    assert iql.critic_opt.param_groups[0]["lr"] == 3e-4


def test_iql_state_dict_round_trip_continues_identically():
    batch = fixed_batch()
    a = IQL(3, 2, max_action=1.0, seeds=[0, 1], config=IQLConfig(cosine_steps=10))
    a.update(batch, 0)
    b = IQL(3, 2, max_action=1.0, seeds=[0, 1], config=IQLConfig(cosine_steps=10))
    b.load_state_dict(copy.deepcopy(a.state_dict()))  # as through a checkpoint file: no shared tensors
    out_a, out_b = a.update(batch, 1), b.update(batch, 1)
    for key in out_a:
        torch.testing.assert_close(out_a[key], out_b[key])


def test_iql_sampled_actions_are_seeded_per_member_and_bounded():
    iql, same = IQL(3, 2, max_action=0.5, seeds=[0, 1]), IQL(3, 2, max_action=0.5, seeds=[0, 1])
    obs = torch.randn(2, 100, 3)
    a1, a2 = iql.act(obs, deterministic=False), same.act(obs, deterministic=False)
    torch.testing.assert_close(a1, a2)
    assert a1.abs().max() <= 0.5 and (a1 - iql.act(obs)).std() > 0.1


def test_locomotion_reward_scale_uses_trajectory_return_range():
    rewards = torch.tensor([1.0, 2.0, 3.0, 0.5, 0.5, 4.0, 4.0])
    terminals = torch.tensor([0, 0, 1, 0, 0, 0, 0.0])
    timeouts = torch.tensor([0, 0, 0, 0, 1, 0, 0.0])
    # trajectories: [1, 2, 3] -> 6, [0.5, 0.5] -> 1, [4, 4] (unfinished) -> 8
    assert locomotion_reward_scale(rewards, terminals, timeouts) == pytest.approx(1000.0 / 7.0)
    with pytest.raises(ValueError, match="same return"):
        locomotion_reward_scale(torch.ones(4), torch.tensor([0, 1, 0, 1.0]), torch.zeros(4))
