"""K seeds trained in one module give each seed exactly the numbers it gets when trained alone."""
import pytest
import torch

from shared.baselines import BC, IQL, TD3, TD3BC, BCConfig, IQLConfig, TD3BCConfig, TD3Config
from shared.baselines.bcq import BCQ, BCQConfig
from baseline_fixtures import fixed_batch

SMALL = (32, 32)
CASES = {"bc": (BC, BCConfig(hidden=SMALL)), "iql": (IQL, IQLConfig(hidden=SMALL, cosine_steps=10)),
         "td3": (TD3, TD3Config(hidden=SMALL)), "td3bc": (TD3BC, TD3BCConfig(hidden=SMALL)),
         "bcq": (BCQ, BCQConfig(actor_hidden=SMALL, critic_hidden=SMALL, vae_hidden=SMALL))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_k_seeds_in_one_module_equal_k_single_seed_runs(name):
    cls, config = CASES[name]
    seeds = [4, 5, 6]
    batches = [fixed_batch(n_members=3, batch_size=32, seed=100 + t) for t in range(6)]
    together = cls(3, 2, 1.0, seeds, config)
    last = [together.update(b, t + 1) for t, b in enumerate(batches)][-1]  # step 6 also moves TD3's actor
    probe = torch.randn(3, 5, 3)
    acted = together.act(probe)  # once: BCQ's acting draws from per-seed streams
    for k, seed in enumerate(seeds):
        alone = cls(3, 2, 1.0, [seed], config)
        for t, b in enumerate(batches):
            out = alone.update({key: v[k:k + 1] for key, v in b.items()}, t + 1)
        assert out.keys() == last.keys()
        for key in out:
            torch.testing.assert_close(out[key][0], last[key][k])
        torch.testing.assert_close(alone.act(probe[k:k + 1])[0], acted[k])
