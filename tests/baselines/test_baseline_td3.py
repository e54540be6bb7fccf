import math

import torch

from shared.baselines import TD3, TD3BC, TD3BCConfig
from baseline_fixtures import fixed_batch, make_action_probe, make_constant

GAMMA = 0.99


def test_td3_critic_loss_against_hand_computation():
    batch = fixed_batch()
    td3 = TD3(3, 2, max_action=1.0, seeds=[0, 1])
    make_constant(td3.critic_target.q1, 4.0)
    make_constant(td3.critic_target.q2, 3.0)
    make_constant(td3.critic.q1, 1.0)
    make_constant(td3.critic.q2, -2.0)
    out = td3.update(batch, step=0)
    target = batch["rewards"] + GAMMA * (1 - batch["terminals"]) * 3.0  # min of the two target heads
    expected = ((1.0 - target) ** 2).mean(dim=1) + ((-2.0 - target) ** 2).mean(dim=1)
    torch.testing.assert_close(out["critic_loss"], expected)
    torch.testing.assert_close(out["q_mean"], torch.ones(2))


def test_td3_target_policy_smoothing_is_clipped_gaussian_noise():
    batch = fixed_batch(n_members=1, batch_size=4096)
    batch["terminals"].zero_()
    td3 = TD3(3, 2, max_action=1.0, seeds=[0])
    make_constant(td3.actor_target.net, math.atanh(0.3))
    make_action_probe(td3.critic_target.q1, obs_dim=3)
    make_action_probe(td3.critic_target.q2, obs_dim=3)
    next_action = (td3.td_target(batch) - batch["rewards"]) / GAMMA  # Q'(s', a') = a'[0]
    noise = next_action - 0.3
    assert noise.min() >= -0.5 - 1e-5 and noise.max() <= 0.5 + 1e-5
    assert (noise.abs() > 0.499).float().mean() > 0.005  # the clip is reached (P(|N(0, .2)| > .5) = 1.2%)
    assert abs(noise.std().item() - 0.198) < 0.008  # std of N(0, 0.2^2) clipped at 2.5 sigma: 0.988 * 0.2


def test_td3_updates_actor_and_targets_every_second_step():
    batch = fixed_batch()
    td3 = TD3(3, 2, max_action=1.0, seeds=[0, 1])
    actor0 = [p.clone() for p in td3.actor.parameters()]
    target0 = [p.clone() for p in td3.critic_target.parameters()]
    td3.update(batch, 0)
    assert all(torch.equal(a, b) for a, b in zip(actor0, td3.actor.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(target0, td3.critic_target.parameters()))
    td3.update(batch, 1)
    assert not all(torch.equal(a, b) for a, b in zip(actor0, td3.actor.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(target0, td3.critic_target.parameters()))


def test_td3bc_actor_loss_against_hand_computation():
    batch = fixed_batch()
    agent = TD3BC(3, 2, max_action=1.0, seeds=[0, 1])
    make_constant(agent.actor.net, math.atanh(0.5))
    make_constant(agent.critic.q1, 4.0)
    make_constant(agent.critic.q2, 100.0)  # TD3+BC's actor uses Q1 only
    # lambda = 2.5 / |4| ; -lambda * 4 = -2.5
    expected = -2.5 + ((0.5 - batch["actions"]) ** 2).mean(dim=(1, 2))
    torch.testing.assert_close(agent.actor_loss(batch), expected)


def test_td3bc_alpha_normalisation_makes_actor_loss_invariant_to_q_scale_per_seed():
    batch = fixed_batch(batch_size=64)
    agent = TD3BC(3, 2, max_action=1.0, seeds=[0, 1], config=TD3BCConfig(alpha=2.5))
    before = agent.actor_loss(batch)
    grads_before = torch.autograd.grad(before.sum(), list(agent.actor.parameters()))
    with torch.no_grad():  # scale seed 0's Q1 by 10 and seed 1's by 0.1: lambda is per seed
        last = agent.critic.q1.linear_layers()[-1]
        last.weight.mul_(torch.tensor([10.0, 0.1]).view(2, 1, 1))
        last.bias.mul_(torch.tensor([10.0, 0.1]).view(2, 1, 1))
    after = agent.actor_loss(batch)
    grads_after = torch.autograd.grad(after.sum(), list(agent.actor.parameters()))
    torch.testing.assert_close(after, before)
    for a, b in zip(grads_after, grads_before):
        torch.testing.assert_close(a, b)


def test_td3_actor_loss_is_minus_first_critic_at_the_policy_action():
    batch = fixed_batch()
    td3 = TD3(3, 2, max_action=1.0, seeds=[0, 1])
    make_action_probe(td3.critic.q1, obs_dim=3, act_index=1)  # Q1(s, a) = a[1]
    make_constant(td3.critic.q2, -50.0)                       # ignored: the actor follows Q1 only
    make_constant(td3.actor.net, math.atanh(0.4))
    torch.testing.assert_close(td3.actor_loss(batch), torch.full((2,), -0.4))
