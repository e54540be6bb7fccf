import torch

from shared.baselines.bcq import BCQ, BCQConfig
from shared.nets import minimise
from baseline_fixtures import fixed_batch, make_action_probe, make_constant

GAMMA = 0.99
SMALL = BCQConfig(actor_hidden=(32, 32), critic_hidden=(32, 32), vae_hidden=(64, 64))


def test_bcq_critic_target_is_the_soft_clipped_double_q_against_hand_computation():
    batch = fixed_batch()
    bcq = BCQ(3, 2, 1.0, [0, 1], SMALL)
    make_constant(bcq.critic_target.q1, 4.0)
    make_constant(bcq.critic_target.q2, 3.0)
    make_constant(bcq.critic.q1, 1.0)
    make_constant(bcq.critic.q2, -2.0)
    stats = bcq.update_critic(batch)
    target = batch["rewards"] + GAMMA * (1 - batch["terminals"]) * (0.75 * 3.0 + 0.25 * 4.0)
    expected = ((1.0 - target) ** 2).mean(dim=1) + ((-2.0 - target) ** 2).mean(dim=1)
    torch.testing.assert_close(stats["critic_loss"], expected)
    torch.testing.assert_close(stats["q_mean"], torch.ones(2))


def test_bcq_target_takes_the_max_over_sampled_next_actions():
    batch = fixed_batch(n_members=1, batch_size=64)
    bcq = BCQ(3, 2, 1.0, [0], SMALL)
    make_action_probe(bcq.critic_target.q1, obs_dim=3)   # Q'(s', a') = a'[0] for both heads
    make_action_probe(bcq.critic_target.q2, obs_dim=3)
    states = [g.get_state() for g in bcq.noise_generators]
    best = bcq.target_values(batch["next_observations"])
    for g, state in zip(bcq.noise_generators, states):     # replay the same 10 draws per next state
        g.set_state(state)
    n = bcq.config.n_target_samples
    repeated = batch["next_observations"].repeat_interleave(n, dim=1)
    draws = bcq.sample_actions(repeated, bcq.noise_generators, bcq.actor_target)[..., 0].reshape(1, 64, n)
    torch.testing.assert_close(best, draws.amax(dim=2))    # the max over the draws, not their mean or the first
    assert (best > draws.mean(dim=2)).all()
    assert (best <= 1.0).all()


def test_bcq_acts_with_the_best_of_its_candidates_by_q1():
    bcq = BCQ(3, 2, 1.0, [0], SMALL)
    make_action_probe(bcq.critic.q1, obs_dim=3)           # Q1(s, a) = a[0]
    obs = torch.randn(1, 8, 3)
    chosen = bcq.act(obs)[..., 0]
    draws = bcq.sample_actions(obs.repeat_interleave(200, dim=1), bcq.noise_generators)[..., 0].reshape(1, 8, 200)
    assert (chosen >= draws.quantile(0.9, dim=2)).all()    # best of 100 is above the 90% quantile
    assert bcq.act(obs).shape == (1, 8, 2)


def test_perturbation_stays_within_phi_of_the_vae_action_and_in_range():
    bcq = BCQ(3, 2, 2.0, [0], SMALL)
    actions = torch.rand(1, 50, 2) * 4 - 2
    perturbed = bcq.actor(torch.randn(1, 50, 3), actions)
    assert ((perturbed - actions).abs() <= 0.05 * 2.0 + 1e-6).all()
    assert perturbed.abs().max() <= 2.0


def test_vae_reconstructs_data_actions_better_than_the_marginal_mean():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    obs = torch.randn(1, 2000, 3, generator=g)
    actions = torch.tanh(obs[..., :2] * 1.5 + 0.5 * obs[..., 2:3])        # a depends on s
    bcq = BCQ(3, 2, 1.0, [0], SMALL)
    for i in range(400):
        idx = torch.randint(2000, (100,), generator=g)
        noise = bcq.latent_noise((100,), bcq.noise_generators)
        minimise(bcq.vae_opt, bcq.vae.loss(obs[:, idx], actions[:, idx], noise))
    test_obs, test_actions = obs[:, :500], actions[:, :500]
    with torch.no_grad():
        sampled = bcq.vae.decode(test_obs, torch.zeros(1, 500, bcq.vae.latent_dim))
    vae_mse = (sampled - test_actions).pow(2).mean()
    marginal_mse = (test_actions - test_actions.mean(dim=1, keepdim=True)).pow(2).mean()
    assert vae_mse < 0.25 * marginal_mse, (vae_mse, marginal_mse)


def test_bcq_evaluation_policy_is_fixed_and_sampling_policy_draws_fresh_candidates():
    bcq = BCQ(3, 2, 1.0, [0], SMALL)
    obs = torch.randn(1, 4, 3)
    assert torch.equal(bcq.act(obs), bcq.act(obs))
    assert not torch.equal(bcq.act(obs, deterministic=False), bcq.act(obs, deterministic=False))
