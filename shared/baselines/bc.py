"""Behaviour cloning: a deterministic tanh actor regressed onto the dataset actions with MSE.

Defaults follow CORL's any-percent BC (the usual modern BC baseline): actor 256-256, Adam lr 3e-4, batch 256,
states normalised by the loop. D4RL's BC numbers in the DMG paper come from earlier reports; this is our re-run.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from shared.nets import adam, minimise
from shared.rl.losses import member_mse
from shared.rl.modules import DeterministicActor


@dataclass
class BCConfig:
    actor_lr: float = 3e-4
    hidden: tuple[int, ...] = (256, 256)


class BC:
    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 config: BCConfig | None = None, device: str = "cpu"):
        self.config = config or BCConfig()
        self.seeds = [int(s) for s in seeds]
        self.actor = DeterministicActor(obs_dim, act_dim, max_action, seeds, self.config.hidden).to(device)
        self.actor_opt = adam(self.actor.parameters(), lr=self.config.actor_lr)

    def setup(self, data) -> None:
        """Nothing to prepare."""

    def update(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        loss = member_mse(self.actor(batch["observations"]), batch["actions"])
        minimise(self.actor_opt, loss)
        return {"actor_loss": loss.detach()}

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        """A deterministic policy either way: online exploration noise is the data source's (authors' loops)."""
        return self.actor(obs)

    def state_dict(self) -> dict:
        return {"actor": self.actor.state_dict(), "actor_opt": self.actor_opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.actor.load_state_dict(state["actor"])
        self.actor_opt.load_state_dict(state["actor_opt"])
