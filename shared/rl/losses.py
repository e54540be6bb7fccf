"""Loss pieces several algorithms share. Every loss returns one value per member: shape [K]."""
import torch
from torch import nn


def expectile_loss(diff: torch.Tensor, tau: float) -> torch.Tensor:
    """Asymmetric L2 of IQL: mean over the batch of |tau - 1(diff < 0)| * diff^2; diff: [K, B] -> [K]."""
    weight = torch.where(diff < 0, 1.0 - tau, tau)
    return (weight * diff.pow(2)).mean(dim=1)


def member_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-member mean squared error over every non-member dimension: [K, ...] -> [K]."""
    return (pred - target).pow(2).flatten(1).mean(dim=1)


@torch.no_grad()
def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """Polyak averaging: target <- tau * source + (1 - tau) * target."""
    for t, s in zip(target.parameters(), source.parameters()):
        t.lerp_(s, tau)
