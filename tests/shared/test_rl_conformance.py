"""Every algorithm follows shared/rl/protocol.py: a killed-and-resumed run equals an uninterrupted one bit for bit
on CPU (state_dict holds the whole training state), and K seeds trained together equal K single-seed runs."""
import io

import pytest
import torch

from papers.dmg.algorithm import DMG, DMGConfig
from shared.baselines import BC, IQL, TD3, TD3BC, BCConfig, IQLConfig, TD3BCConfig, TD3Config
from shared.baselines.bcq import BCQ, BCQConfig
from shared.rl.protocol import Algorithm
from shared.rl.sac import SAC, SACConfig
from shared.runs import load_torch

OBS, ACT, B, STEPS = 3, 2, 8, 6
H = (16, 16)
ALGORITHMS = {
    "bc": (BC, BCConfig(hidden=H)),
    "iql": (IQL, IQLConfig(hidden=H, cosine_steps=STEPS)),
    "td3bc": (TD3BC, TD3BCConfig(hidden=H)),
    "td3": (TD3, TD3Config(hidden=H)),
    "sac": (SAC, SACConfig(hidden=H)),
    "bcq": (BCQ, BCQConfig(actor_hidden=H, critic_hidden=H, vae_hidden=H)),
    "dmg": (DMG, DMGConfig(hidden=H, total_steps=STEPS)),
    "xql_dmg": (DMG, DMGConfig(hidden=H, total_steps=STEPS, in_sample="gumbel")),
    "sql_dmg": (DMG, DMGConfig(hidden=H, total_steps=STEPS, in_sample="sparse")),
    "xql": (DMG, DMGConfig(hidden=H, total_steps=STEPS, in_sample="gumbel", lam=0.0, actor_objective="weighted_bc")),
    "sql": (DMG, DMGConfig(hidden=H, total_steps=STEPS, in_sample="sparse", lam=0.0, actor_objective="weighted_bc",
                           weight_kind="sparse")),
}


def make(name, seeds):
    cls, config = ALGORITHMS[name]
    return cls(OBS, ACT, 1.0, seeds, config, "cpu")


def batches(k):
    g = torch.Generator().manual_seed(123)
    return [{"observations": torch.randn(k, B, OBS, generator=g), "actions": torch.rand(k, B, ACT, generator=g) * 2 - 1,
             "rewards": torch.randn(k, B, generator=g), "next_observations": torch.randn(k, B, OBS, generator=g),
             "terminals": (torch.rand(k, B, generator=g) < 0.2).float()} for _ in range(STEPS)]


def step(algo, batch, t):
    """One update, then both kinds of action (acting consumes the algorithm's acting stream)."""
    stats = algo.update(batch, t)
    obs = batch["observations"][:, :2]
    return stats, algo.act(obs), algo.act(obs, deterministic=False)


def reload(algo, name, seeds):
    """What a killed job does: the state goes through a file, a fresh instance loads it."""
    buffer = io.BytesIO()
    torch.save(algo.state_dict(), buffer)
    buffer.seek(0)
    fresh = make(name, seeds)
    fresh.load_state_dict(load_torch(buffer))
    return fresh


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_follows_the_protocol(name):
    algo = make(name, [0, 1])
    assert isinstance(algo, Algorithm) and algo.seeds == [0, 1]
    algo.setup(None)
    stats, det, _ = step(algo, batches(2)[0], 1)
    assert det.shape == (2, 2, ACT) and all(v.shape == (2,) for v in stats.values())
    assert torch.equal(algo.act(torch.ones(2, 1, OBS)), algo.act(torch.ones(2, 1, OBS)))   # default: deterministic


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_killed_and_resumed_equals_uninterrupted_bit_for_bit(name):
    data = batches(2)
    whole = make(name, [0, 1])
    expected = [step(whole, b, t + 1) for t, b in enumerate(data)]
    killed = make(name, [0, 1])
    got = [step(killed, b, t + 1) for t, b in enumerate(data[:3])]
    resumed = reload(killed, name, [0, 1])
    got += [step(resumed, b, t + 4) for t, b in enumerate(data[3:])]
    for t, ((s_exp, *a_exp), (s_got, *a_got)) in enumerate(zip(expected, got)):
        assert s_exp.keys() == s_got.keys()
        for key in s_exp:
            assert torch.equal(s_exp[key], s_got[key]), (t, key)
        assert all(torch.equal(x, y) for x, y in zip(a_exp, a_got)), t


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_k_seeds_together_equal_k_single_seed_runs(name):
    seeds, data = [3, 7, 11], batches(3)
    together = make(name, seeds)
    out_together = [step(together, b, t + 1) for t, b in enumerate(data)]
    for k, seed in enumerate(seeds):
        alone = make(name, [seed])
        out_alone = [step(alone, {n: x[k:k + 1] for n, x in b.items()}, t + 1) for t, b in enumerate(data)]
        for t, ((s_tog, *a_tog), (s_one, *a_one)) in enumerate(zip(out_together, out_alone)):
            for key in s_one:
                assert torch.allclose(s_tog[key][k:k + 1], s_one[key], rtol=1e-5, atol=1e-6), (seed, t, key)
            for x, y in zip(a_tog, a_one):
                assert torch.allclose(x[k:k + 1], y, rtol=1e-5, atol=1e-6), (seed, t)
