"""Seed-vectorised networks of the TD3 family: deterministic actor, twin critic, state-value net.

Every network holds K members (one per seed); inputs and outputs carry the member dimension first.
"""
from collections.abc import Sequence

import torch
from torch import nn

from shared.nets import EnsembleMLP
from shared.rl.streams import stream_seeds


class DeterministicActor(nn.Module):
    """a = max_action * tanh(MLP(s)); [K, B, obs] -> [K, B, act]."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 hidden: Sequence[int] = (256, 256)):
        super().__init__()
        self.net = EnsembleMLP(obs_dim, act_dim, hidden, len(seeds), seeds, output_activation=nn.Tanh)
        self.max_action = max_action

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.max_action * self.net(obs)


class TwinCritic(nn.Module):
    """Two independent Q(s, a) heads; returns (q1, q2), each [K, B]."""

    def __init__(self, obs_dim: int, act_dim: int, seeds: Sequence[int], hidden: Sequence[int] = (256, 256)):
        super().__init__()
        # The second head has its own stream so its initialisation differs from the first head's.
        self.q1 = EnsembleMLP(obs_dim + act_dim, 1, hidden, len(seeds), seeds)
        self.q2 = EnsembleMLP(obs_dim + act_dim, 1, hidden, len(seeds), stream_seeds("init_q2", seeds))

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([obs, act], dim=-1)
        return self.q1(x).squeeze(-1), self.q2(x).squeeze(-1)

    def min_q(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return torch.minimum(*self(obs, act))


class ValueNet(nn.Module):
    """V(s); [K, B, obs] -> [K, B]."""

    def __init__(self, obs_dim: int, seeds: Sequence[int], hidden: Sequence[int] = (256, 256)):
        super().__init__()
        self.net = EnsembleMLP(obs_dim, 1, hidden, len(seeds), stream_seeds("init_value", seeds))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs).squeeze(-1)
