import math

import pytest
import torch

from shared.baselines import BC
from baseline_fixtures import fixed_batch, make_constant


def test_bc_loss_is_per_seed_mse_to_dataset_actions():
    batch = fixed_batch()
    bc = BC(3, 2, max_action=2.0, seeds=[0, 1])
    make_constant(bc.actor.net, math.atanh(0.25))  # pi(s) = 2.0 * 0.25 = 0.5 everywhere
    out = bc.update(batch, step=0)
    expected = ((0.5 - batch["actions"]) ** 2).mean(dim=(1, 2))
    torch.testing.assert_close(out["actor_loss"], expected)


def test_bc_fits_a_linear_behaviour_policy():
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(1, 2048, 3, generator=g)
    actions = torch.tanh(obs @ torch.tensor([[0.5], [-0.3], [0.2]]))
    bc = BC(3, 1, max_action=1.0, seeds=[3])
    batch = {"observations": obs, "actions": actions}
    first = bc.update(batch, 0)["actor_loss"].item()
    for step in range(1, 300):
        last = bc.update(batch, step)["actor_loss"].item()
    assert last < 0.05 * first


def test_bc_rejects_input_without_member_dimension():
    bc = BC(3, 2, max_action=1.0, seeds=[0])
    with pytest.raises(ValueError, match="expected input"):
        bc.act(torch.zeros(5, 3))
