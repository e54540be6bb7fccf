import copy

import pytest
import torch

from papers.ovr.algorithm import BCQOVR, OVRConfig, corrected_reward, normalise_ratio, printed_reward
from papers.ovr.dice import episode_starts
from shared.baselines.bcq import BCQ, BCQConfig
from shared.rl.sources import Transitions

SMALL = dict(actor_hidden=(32, 32), critic_hidden=(32, 32), vae_hidden=(32, 32))


def small(**kw) -> OVRConfig:
    return OVRConfig(**SMALL, dice_hidden=(32, 32), dice_setup_steps=3, dice_batch_size=16, **kw)


def transitions(n=60, obs_dim=3, act_dim=2, seed=0) -> Transitions:
    """Three episodes of a random walk: s' of one step is s of the next, episodes break at 20 and 40."""
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(n + 1, obs_dim, generator=g).cumsum(0)
    nxt = obs[1:].clone()
    obs = obs[:-1].clone()
    obs[20] += 100.0
    obs[40] += 100.0
    return Transitions(obs, torch.rand(n, act_dim, generator=g) * 2 - 1, torch.rand(n, generator=g) * 3, nxt,
                       torch.zeros(n), torch.zeros(obs_dim), torch.ones(obs_dim))


def batches(n_members, steps, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [{"observations": torch.randn(n_members, 16, 3, generator=g),
             "actions": torch.rand(n_members, 16, 2, generator=g) * 2 - 1,
             "rewards": torch.rand(n_members, 16, generator=g) * 3,
             "next_observations": torch.randn(n_members, 16, 3, generator=g),
             "terminals": (torch.rand(n_members, 16, generator=g) < 0.2).float()} for _ in range(steps)]


def test_printed_and_corrected_rewards_against_hand_computation():
    r = torch.tensor([[1.0, 2.0, -1.0]])
    omega = torch.tensor([[0.5, 1.5, 1.0]])
    lam = 0.1
    # printed: r - lam (omega r) r - lam r^2
    expected = torch.tensor([[1 - 0.1 * 0.5 - 0.1, 2 - 0.1 * 3.0 * 2 - 0.1 * 4, -1 - 0.1 * 1.0 - 0.1]])
    torch.testing.assert_close(printed_reward(r, omega, lam), expected)
    j = (0.5 + 3.0 - 1.0) / 3
    expected = torch.tensor([[1 + 0.2 * j - 0.1 * 0.5, 2 + 0.2 * j * 2 - 0.1 * 1.5 * 4, -1 - 0.2 * j - 0.1]])
    torch.testing.assert_close(corrected_reward(r, omega, lam), expected)


def test_normalised_ratio_is_clipped_and_has_mean_one():
    raw = torch.tensor([[-1.0, 2.0, 30.0, 0.0], [1.0, 1.0, 1.0, 5.0]])
    omega = normalise_ratio(raw, omega_max=10.0)
    torch.testing.assert_close(omega[0], torch.tensor([0.0, 2.0, 10.0, 0.0]) / 3.0)
    torch.testing.assert_close(omega.mean(dim=1), torch.ones(2))


def test_critic_regresses_onto_the_augmented_reward():
    algo = BCQOVR(3, 2, 1.0, [0, 1], small(ovr_lambda=0.2))
    algo.setup(transitions())
    batch = batches(2, 1)[0]
    omega = torch.rand(2, 16) + 0.5
    stats = algo.update_critic({**batch, "ratio": omega})
    torch.testing.assert_close(stats["critic_reward_mean"], printed_reward(batch["rewards"], omega, 0.2).mean(1))


def test_episode_starts_found_from_broken_state_chains():
    data = transitions()
    assert episode_starts(data.observations, data.next_observations, data.terminals).tolist() == [0, 20, 40]


def test_lambda_zero_gives_plain_bcq_exactly():
    data, steps = transitions(), batches(2, 4)
    ovr = BCQOVR(3, 2, 1.0, [3, 4], small(ovr_lambda=0.0))
    bcq = BCQ(3, 2, 1.0, [3, 4], BCQConfig(**SMALL))
    ovr.setup(data)
    bcq.setup(data)
    for t, b in enumerate(steps):
        out_ovr, out_bcq = ovr.update(b, t + 1), bcq.update(b, t + 1)
        for key in out_bcq:
            assert torch.equal(out_ovr[key], out_bcq[key]), key
    for name in ("vae", "actor", "critic", "critic_target"):
        for p, q in zip(getattr(ovr, name).parameters(), getattr(bcq, name).parameters()):
            assert torch.equal(p, q), name
    probe = torch.randn(2, 5, 3)
    assert torch.equal(ovr.act(probe), bcq.act(probe))


def test_positive_lambda_changes_the_critic():
    data, steps = transitions(), batches(1, 3)
    a, b = (BCQOVR(3, 2, 1.0, [0], small(ovr_lambda=lam)) for lam in (0.0, 0.5))
    for algo in (a, b):
        algo.setup(data)
        for t, batch in enumerate(steps):
            algo.update(batch, t + 1)
    assert not torch.equal(a.critic.q1.net[0].weight, b.critic.q1.net[0].weight)


@pytest.mark.parametrize("form,weights", [("printed", False), ("corrected", False), ("none", True)])
def test_k_seeds_equal_k_single_seed_runs(form, weights):
    data, seeds = transitions(), [5, 6, 7]
    steps = batches(3, 3)
    together = BCQOVR(3, 2, 1.0, seeds, small(reward_form=form, importance_weights=weights, ovr_lambda=0.1))
    together.setup(data)
    last = [together.update(b, t + 1) for t, b in enumerate(steps)][-1]
    probe = torch.randn(3, 4, 3)
    acted = together.act(probe)
    for k, seed in enumerate(seeds):
        alone = BCQOVR(3, 2, 1.0, [seed], small(reward_form=form, importance_weights=weights, ovr_lambda=0.1))
        alone.setup(data)
        for t, b in enumerate(steps):
            out = alone.update({key: v[k:k + 1] for key, v in b.items()}, t + 1)
        for key in out:
            torch.testing.assert_close(out[key][0], last[key][k])
        torch.testing.assert_close(alone.act(probe[k:k + 1])[0], acted[k])


@pytest.mark.parametrize("cls,config", [(BCQ, BCQConfig(**SMALL)), (BCQOVR, small(ovr_lambda=0.1))])
def test_resume_equals_uninterrupted(cls, config):
    data, steps = transitions(), batches(2, 6)
    straight = cls(3, 2, 1.0, [0, 1], config)
    straight.setup(data)
    for t, b in enumerate(steps):
        expected = straight.update(b, t + 1)
    first = cls(3, 2, 1.0, [0, 1], config)
    first.setup(data)
    for t, b in enumerate(steps[:3]):
        first.update(b, t + 1)
    state = copy.deepcopy(first.state_dict())
    resumed = cls(3, 2, 1.0, [0, 1], config)   # no setup: the state restores what it built
    resumed.load_state_dict(state)
    for t, b in enumerate(steps[3:], start=3):
        out = resumed.update(b, t + 1)
    for key in expected:
        assert torch.equal(out[key], expected[key]), key
    probe = torch.randn(2, 3, 3)
    assert torch.equal(resumed.act(probe), straight.act(probe))


def test_ratio_diagnostics_report_mean_max_and_a_histogram():
    algo = BCQOVR(3, 2, 1.0, [0, 1], small())
    data = transitions()
    algo.setup(data)
    diag = algo.ratio_diagnostics(data, rows=50, bins=5)
    assert diag["rows"] == 50 and len(diag["members"]) == 2
    for member in diag["members"]:
        assert sum(member["histogram"]) + member["below"] + member["above"] == 50
        assert member["max"] >= member["mean"] >= member["min"]


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="reward_form"):
        OVRConfig(reward_form="squared")
    with pytest.raises(ValueError):
        OVRConfig(ovr_lambda=-1.0)
