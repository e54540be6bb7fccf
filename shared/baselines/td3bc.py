"""TD3+BC (Fujimoto & Gu 2021): TD3 whose actor loss adds behaviour cloning and normalises the Q term.

    actor loss = -lambda * mean Q1(s, pi(s)) + mean (pi(s) - a)^2,   lambda = alpha / mean |Q1(s, pi(s))| (detached)

Defaults of the authors' code: alpha 2.5, policy noise 0.2, noise clip 0.5, policy freq 2, lr 3e-4, 256-256;
states normalised with the dataset mean and std + 1e-3 (done by the loop). lambda is computed per seed.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from shared.baselines.td3 import TD3, TD3Config
from shared.rl.losses import member_mse


@dataclass
class TD3BCConfig(TD3Config):
    alpha: float = 2.5


class TD3BC(TD3):
    config: TD3BCConfig

    @staticmethod
    def default_config() -> TD3BCConfig:
        return TD3BCConfig()

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pi, q = self.q1_of_policy(batch["observations"])
        lmbda = self.config.alpha / q.abs().mean(dim=1).detach()
        return -lmbda * q.mean(dim=1) + member_mse(pi, batch["actions"])
