"""Fixtures for hand-checkable losses: networks forced to constant outputs, fixed batches."""
import torch

from shared.nets import EnsembleMLP


@torch.no_grad()
def make_constant(mlp: EnsembleMLP, value: float) -> None:
    """Zero every weight and bias except the last bias, so the (pre-activation) output is `value` everywhere."""
    layers = mlp.linear_layers()
    for layer in layers:
        layer.weight.zero_()
        layer.bias.zero_()
    layers[-1].bias.fill_(value)


def fixed_batch(n_members=2, batch_size=4, obs_dim=3, act_dim=2, seed=7) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "observations": torch.randn(n_members, batch_size, obs_dim, generator=g),
        "actions": torch.rand(n_members, batch_size, act_dim, generator=g) * 2 - 1,
        "rewards": torch.randn(n_members, batch_size, generator=g),
        "next_observations": torch.randn(n_members, batch_size, obs_dim, generator=g),
        "terminals": (torch.rand(n_members, batch_size, generator=g) < 0.3).float(),
    }


@torch.no_grad()
def make_action_probe(mlp: EnsembleMLP, obs_dim: int, act_index: int = 0, offset: float = 10.0) -> None:
    """Turn a ReLU critic MLP over cat(s, a) into Q(s, a) = a[act_index] (exact while a > -offset)."""
    make_constant(mlp, -offset)
    first, *middle, last = mlp.linear_layers()
    first.weight[:, obs_dim + act_index, 0] = 1.0
    first.bias[:, 0, 0] = offset
    for layer in middle:
        layer.weight[:, 0, 0] = 1.0
    last.weight[:, 0, 0] = 1.0
