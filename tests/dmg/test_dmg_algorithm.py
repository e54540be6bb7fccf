"""DMG's losses on fixed batches against hand computations, the lambda limits, and seed vectorisation."""
import copy
import math

import pytest
import torch

from papers.dmg.algorithm import (DMG, DMGConfig, advantage_weight, expectile_value_loss, gumbel_value_loss,
                                  sparse_value_loss)
from shared.nets import minimise

OBS, ACT, B = 5, 3, 32


def make_batch(k: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "observations": torch.randn(k, B, OBS, generator=g),
        "actions": torch.rand(k, B, ACT, generator=g) * 2 - 1,
        "rewards": torch.randn(k, B, generator=g),
        "next_observations": torch.randn(k, B, OBS, generator=g),
        "terminals": (torch.rand(k, B, generator=g) < 0.2).float(),
    }


def make_algo(seeds=(0,), **overrides) -> DMG:
    return DMG(OBS, ACT, 1.0, list(seeds), DMGConfig(hidden=(16, 16), **overrides))


# ---- the in-sample maxima on hand-made numbers ------------------------------------------------------------------

def test_expectile_loss_by_hand():
    q, v = torch.tensor([[1.0, -1.0]]), torch.zeros(1, 2)
    # u = +1 weighs tau = 0.7, u = -1 weighs 0.3: mean(0.7, 0.3) = 0.5
    assert expectile_value_loss(q, v, DMGConfig(expectile=0.7)).item() == pytest.approx(0.5)
    q = torch.tensor([[2.0, -1.0]])
    assert expectile_value_loss(q, v, DMGConfig(expectile=0.9)).item() == pytest.approx((0.9 * 4 + 0.1 * 1) / 2)


def test_gumbel_loss_by_hand_and_clip():
    cfg = DMGConfig(xql_beta=5.0)
    q, v = torch.tensor([[5.0, 0.0]]), torch.zeros(1, 2)
    # z = (1, 0): exp(z) - z - 1 = (e - 2, 0)
    assert gumbel_value_loss(q, v, cfg).item() == pytest.approx((math.e - 2) / 2, rel=1e-6)
    # z = 100 / 5 = 20 is clipped to 7
    big = gumbel_value_loss(torch.tensor([[100.0]]), torch.zeros(1, 1), cfg).item()
    assert big == pytest.approx(math.exp(7) - 8, rel=1e-6)


def test_sparse_loss_by_hand():
    cfg = DMGConfig(sql_alpha=2.0)
    q, v = torch.tensor([[4.0, -8.0]]), torch.ones(1, 2)
    # u = 1 + (q - v) / 4 = (1.75, -1.25): 1.75^2 + 0 plus v / alpha = 0.5 each
    assert sparse_value_loss(q, v, cfg).item() == pytest.approx((1.75 ** 2 + 0.5 + 0.0 + 0.5) / 2)


def test_advantage_weights_capped_and_sparse():
    adv = torch.tensor([[-1.0, 0.0, 0.1, 2.0]])
    exp_w = advantage_weight(adv, DMGConfig(temperature=3.0, max_weight=3.0))
    assert torch.allclose(exp_w, torch.tensor([[math.exp(-3), 1.0, math.exp(0.3), 3.0]]))
    sparse_w = advantage_weight(adv, DMGConfig(weight_kind="sparse", sql_alpha=2.0))
    assert torch.allclose(sparse_w, torch.tensor([[0.75, 1.0, 1.025, 1.5]]))
    assert advantage_weight(torch.tensor([[-10.0]]), DMGConfig(weight_kind="sparse", sql_alpha=2.0)).item() == 0.0


# ---- the Q target at the two ends of lambda ---------------------------------------------------------------------

def test_lambda_zero_target_is_in_sample_bellman():
    algo, batch = make_algo(lam=0.0), make_batch(1)
    expected = batch["rewards"] + 0.99 * (1 - batch["terminals"]) * algo.value(batch["next_observations"])
    assert torch.allclose(algo.q_target(batch), expected.detach())


def test_lambda_one_target_is_td3_target():
    algo, batch = make_algo(lam=1.0), make_batch(1)
    state = algo.noise_generators[0].get_state()
    noise = torch.randn(B, ACT, generator=torch.Generator().set_state(state)).unsqueeze(0)
    noise = (0.2 * noise).clamp(-0.5, 0.5)
    next_act = (algo.actor_target(batch["next_observations"]) + noise).clamp(-1, 1)
    q1, q2 = algo.critic_target(batch["next_observations"], next_act)
    expected = batch["rewards"] + 0.99 * (1 - batch["terminals"]) * torch.minimum(q1, q2)
    assert torch.allclose(algo.q_target(batch), expected.detach(), atol=1e-6)


def test_intermediate_lambda_blends_the_two_targets():
    batch = make_batch(1)
    targets = {}
    for lam in (0.0, 0.25, 1.0):
        targets[lam] = make_algo(lam=lam).q_target(batch)
    assert torch.allclose(targets[0.25], 0.25 * targets[1.0] + 0.75 * targets[0.0], atol=1e-5)


# ---- one full update against a hand computation with the pre-update networks ------------------------------------

def test_update_losses_match_hand_computation():
    algo, batch = make_algo(nu=0.1), make_batch(1)
    before = copy.deepcopy(algo)
    obs, act = batch["observations"], batch["actions"]
    stats = algo.update(batch, step=2)  # an even step also updates the actor

    with torch.no_grad():
        q_t = before.critic_target.min_q(obs, act)
        u = q_t - before.value(obs)
        value_loss = (torch.where(u < 0, 0.3, 0.7) * u ** 2).mean()
    # The Q target uses V after this iteration's V step (authors' order): replay that step on the copy.
    minimise(before.value_opt, before.value_loss(obs, q_t)[0])
    with torch.no_grad():
        target = before.q_target(batch)
        q1, q2 = before.critic(obs, act)
        critic_loss = ((q1 - target) ** 2).mean() + ((q2 - target) ** 2).mean()
    assert stats["value_loss"].item() == pytest.approx(value_loss.item(), rel=1e-5)
    assert stats["critic_loss"].item() == pytest.approx(critic_loss.item(), rel=1e-5)


def test_actor_loss_by_hand():
    algo, batch = make_algo(nu=0.5), make_batch(1)
    obs, act = batch["observations"], batch["actions"]
    with torch.no_grad():
        q_t = algo.critic_target.min_q(obs, act)
        w = torch.exp(3.0 * (q_t - algo.value(obs))).clamp(max=3.0)
        pi = algo.actor(obs)
        q_pi = algo.critic.min_q(obs, pi)
        expected = -q_pi.mean() / q_pi.abs().mean() + 0.5 * (w.unsqueeze(-1) * (pi - act) ** 2).mean()
    loss, bc, weight = algo.actor_loss(obs, act, q_t)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(weight, w)


def test_weighted_bc_actor_has_no_q_term():
    algo, batch = make_algo(actor_objective="weighted_bc"), make_batch(1)
    q_t = algo.critic_target.min_q(batch["observations"], batch["actions"]).detach()
    loss, bc, _ = algo.actor_loss(batch["observations"], batch["actions"], q_t)
    assert torch.equal(loss, bc)


def test_actor_moves_only_every_second_step_with_cosine_schedule():
    algo, batch = make_algo(total_steps=8), make_batch(1)
    actor0 = copy.deepcopy(algo.actor.state_dict())
    stats = algo.update(batch, step=1)
    assert "actor_loss" not in stats
    assert all(torch.equal(actor0[k], v) for k, v in algo.actor.state_dict().items())
    algo.update(batch, step=2)
    assert not all(torch.equal(actor0[k], v) for k, v in algo.actor.state_dict().items())
    # T_max = total_steps / policy_freq = 4 actor steps: after 1 of them lr = 3e-4 * (1 + cos(pi / 4)) / 2
    assert algo.actor_opt.param_groups[0]["lr"] == pytest.approx(3e-4 * (1 + math.cos(math.pi / 4)) / 2)
    assert algo.critic_opt.param_groups[0]["lr"] == pytest.approx(3e-4)


def test_bad_config_is_one_clear_error():
    with pytest.raises(ValueError, match="lam=1.5"):
        DMGConfig(lam=1.5)
    with pytest.raises(ValueError, match="in_sample='quantile'"):
        DMGConfig(in_sample="quantile")


# ---- K seeds in one module train as K separate runs -------------------------------------------------------------

@pytest.mark.parametrize("in_sample", ["expectile", "gumbel", "sparse"])
def test_vectorised_seeds_equal_single_seed_runs(in_sample):
    seeds, steps = [3, 7, 11], 6
    batches = [make_batch(len(seeds), seed=t) for t in range(steps)]
    together = DMG(OBS, ACT, 1.0, seeds, DMGConfig(hidden=(16, 16), in_sample=in_sample))
    stats_together = [together.update(b, t + 1) for t, b in enumerate(batches)]
    for k, seed in enumerate(seeds):
        alone = DMG(OBS, ACT, 1.0, [seed], DMGConfig(hidden=(16, 16), in_sample=in_sample))
        for t, b in enumerate(batches):
            stats_alone = alone.update({n: x[k:k + 1] for n, x in b.items()}, t + 1)
            for name, value in stats_alone.items():
                assert torch.allclose(stats_together[t][name][k], value[0], rtol=1e-4, atol=1e-6), (name, t)
        obs = batches[0]["observations"][k:k + 1]
        assert torch.allclose(together.act(batches[0]["observations"])[k], alone.act(obs)[0], atol=1e-5)


def test_state_dict_round_trip_continues_identically():
    batch = make_batch(2)
    a = make_algo(seeds=(0, 1))
    for t in range(1, 4):
        a.update(batch, t)
    b = make_algo(seeds=(0, 1))
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    sa, sb = a.update(batch, 4), b.update(batch, 4)
    for name in sa:
        assert torch.equal(sa[name], sb[name])
