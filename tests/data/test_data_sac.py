"""SAC agent: log-probabilities, Bellman targets, member independence, resume, and that it learns."""
import math

import torch
from torch.distributions import Normal, TanhTransform, TransformedDistribution

from shared.rl.sac import SAC, SACConfig, TanhGaussianActor

SMALL = SACConfig(hidden=(32, 32), batch_size=16)


def _batch(k, b=16, obs_dim=3, act_dim=2, seed=0, terminal=0.0):
    g = torch.Generator().manual_seed(seed)
    return {"observations": torch.randn(k, b, obs_dim, generator=g),
            "actions": torch.rand(k, b, act_dim, generator=g) * 2 - 1,
            "rewards": torch.randn(k, b, generator=g),
            "next_observations": torch.randn(k, b, obs_dim, generator=g),
            "terminals": torch.full((k, b), terminal)}


def test_tanh_gaussian_log_prob_matches_torch_distribution():
    actor = TanhGaussianActor(3, 2, 1.0, [0], hidden=(8,))
    obs = torch.randn(1, 5, 3)
    noise = torch.randn(1, 5, 2)
    action, log_prob = actor.sample(obs, noise)
    mean, log_std = actor.distribution(obs)
    reference = TransformedDistribution(Normal(mean, log_std.exp()), [TanhTransform()])
    pre_tanh = mean + log_std.exp() * noise
    assert torch.allclose(action, torch.tanh(pre_tanh))
    assert torch.allclose(log_prob, reference.log_prob(torch.tanh(pre_tanh)).sum(-1), atol=1e-4)


def test_max_action_scales_actions_and_log_prob():
    unit = TanhGaussianActor(3, 2, 1.0, [0], hidden=(8,))
    scaled = TanhGaussianActor(3, 2, 2.0, [0], hidden=(8,))
    obs, noise = torch.randn(1, 4, 3), torch.randn(1, 4, 2)
    (a1, lp1), (a2, lp2) = unit.sample(obs, noise), scaled.sample(obs, noise)
    assert torch.allclose(a2, 2 * a1)
    assert torch.allclose(lp2, lp1 - 2 * math.log(2.0))


def test_terminal_transitions_regress_onto_reward():
    agent = SAC(3, 2, 1.0, [0], SMALL)
    batch = _batch(1, terminal=1.0)
    q1, q2 = agent.critic(batch["observations"], batch["actions"])
    expected = ((q1 - batch["rewards"]) ** 2 + (q2 - batch["rewards"]) ** 2).mean(dim=1)
    loss = agent.critic_loss(batch["observations"], batch["actions"], batch["rewards"],
                             batch["next_observations"], batch["terminals"])
    assert torch.allclose(loss, expected)


def test_members_train_exactly_as_separate_runs():
    together = SAC(3, 2, 1.0, [3, 7], SMALL)
    alone = [SAC(3, 2, 1.0, [3], SMALL), SAC(3, 2, 1.0, [7], SMALL)]
    for step in range(3):
        batch = _batch(2, seed=step)
        together.update(batch, step + 1)
        for k, agent in enumerate(alone):
            agent.update({key: value[k:k + 1] for key, value in batch.items()}, step + 1)
    for k, agent in enumerate(alone):
        for net in ("actor", "critic", "critic_target"):
            for (name, p_together), p_alone in zip(getattr(together, net).state_dict().items(),
                                                   getattr(agent, net).state_dict().values()):
                assert torch.allclose(p_together[k:k + 1], p_alone, atol=1e-6), (net, name)
        assert torch.allclose(together.log_alpha[k:k + 1], agent.log_alpha, atol=1e-6)


def test_resume_gives_the_same_next_update():
    agent = SAC(3, 2, 1.0, [0], SMALL)
    agent.update(_batch(1, seed=1), 1)
    state = agent.state_dict()
    resumed = SAC(3, 2, 1.0, [0], SMALL)
    resumed.load_state_dict(state)
    a, b = agent.update(_batch(1, seed=2), 2), resumed.update(_batch(1, seed=2), 2)
    assert torch.equal(a["critic_loss"], b["critic_loss"])
    obs = torch.ones(1, 1, 3)
    assert torch.equal(agent.act(obs, deterministic=False), resumed.act(obs, deterministic=False))


def test_learns_the_best_action_of_a_one_step_problem():
    """Reward -(a - 0.5)^2 and every step terminal: the policy mean must move to 0.5."""
    agent = SAC(1, 1, 1.0, [0], SACConfig(hidden=(32, 32), batch_size=64, actor_lr=3e-3, critic_lr=3e-3,
                                          alpha_lr=3e-3, init_alpha=0.1))
    g = torch.Generator().manual_seed(0)
    for step in range(1, 401):
        obs = torch.randn(1, 64, 1, generator=g)
        actions = torch.rand(1, 64, 1, generator=g) * 2 - 1
        agent.update({"observations": obs, "actions": actions, "rewards": -(actions[..., 0] - 0.5) ** 2,
                      "next_observations": obs, "terminals": torch.ones(1, 64)}, step)
    best = agent.act(torch.zeros(1, 8, 1), deterministic=True)
    assert torch.allclose(best, torch.full_like(best, 0.5), atol=0.15)
