"""TD3 (Fujimoto, van Hoof & Meger 2018) with the defaults of the authors' TD3.py.

Clipped double-Q target with target-policy smoothing, actor and targets updated every `policy_freq` critic
updates, actor loss -Q1(s, pi(s)). Used online from scratch (exploration noise and warm-up steps live in the
online data source, shared/rl/sources.py) and as the base of TD3+BC.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from shared.nets import adam, member_randn, minimise
from shared.rl import streams
from shared.rl.losses import member_mse, soft_update
from shared.rl.modules import DeterministicActor, TwinCritic


@dataclass
class TD3Config:
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    hidden: tuple[int, ...] = (256, 256)
    discount: float = 0.99
    tau: float = 0.005            # target-network rate
    policy_noise: float = 0.2     # target-policy smoothing, in units of max_action
    noise_clip: float = 0.5       # in units of max_action
    policy_freq: int = 2          # critic updates per actor (and target) update


class TD3:
    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 config: TD3Config | None = None, device: str = "cpu"):
        self.config = config or self.default_config()
        cfg = self.config
        self.max_action, self.act_dim, self.device = max_action, act_dim, device
        self.seeds = [int(s) for s in seeds]
        self.actor = DeterministicActor(obs_dim, act_dim, max_action, seeds, cfg.hidden).to(device)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic = TwinCritic(obs_dim, act_dim, seeds, cfg.hidden).to(device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_opt = adam(self.actor.parameters(), lr=cfg.actor_lr)
        self.critic_opt = adam(self.critic.parameters(), lr=cfg.critic_lr)
        self.noise_generators = streams.generators("target_smoothing", seeds, device)
        self.total_it = 0

    @staticmethod
    def default_config() -> TD3Config:
        return TD3Config()

    def setup(self, data) -> None:
        """Nothing to prepare."""

    def update(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        self.total_it += 1
        critic_loss, q_data = self.update_critic(batch)
        stats = {"critic_loss": critic_loss, "q_mean": q_data.mean(dim=1)}
        if self.total_it % self.config.policy_freq == 0:
            stats["actor_loss"] = self.update_actor(batch)
            soft_update(self.critic_target, self.critic, self.config.tau)
            soft_update(self.actor_target, self.actor, self.config.tau)
        return stats

    @torch.no_grad()
    def td_target(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """r + gamma (1 - done) min_i Q_i'(s', clip(pi'(s') + clip(eps, -c, c))), eps ~ N(0, sigma^2)."""
        cfg, next_obs = self.config, batch["next_observations"]
        shape = next_obs.shape[1:-1] + (self.act_dim,)
        noise = member_randn(self.noise_generators, shape, self.device) * (cfg.policy_noise * self.max_action)
        noise = noise.clamp(-cfg.noise_clip * self.max_action, cfg.noise_clip * self.max_action)
        next_action = (self.actor_target(next_obs) + noise).clamp(-self.max_action, self.max_action)
        next_q = self.critic_target.min_q(next_obs, next_action)
        return batch["rewards"] + (1.0 - batch["terminals"]) * cfg.discount * next_q

    def update_critic(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        target = self.td_target(batch)
        q1, q2 = self.critic(batch["observations"], batch["actions"])
        loss = member_mse(q1, target) + member_mse(q2, target)
        minimise(self.critic_opt, loss)
        return loss.detach(), q1.detach()

    def q1_of_policy(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pi(s), Q1(s, pi(s))): TD3 and TD3+BC improve the actor through the first critic only."""
        pi = self.actor(obs)
        return pi, self.critic.q1(torch.cat([obs, pi], dim=-1)).squeeze(-1)

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        _, q = self.q1_of_policy(batch["observations"])
        return -q.mean(dim=1)

    def update_actor(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        loss = self.actor_loss(batch)
        minimise(self.actor_opt, loss)
        return loss.detach()

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        """A deterministic policy either way: exploration noise is the online data source's (authors' TD3.py)."""
        return self.actor(obs)

    def state_dict(self) -> dict:
        return {
            "actor": self.actor.state_dict(), "actor_target": self.actor_target.state_dict(),
            "critic": self.critic.state_dict(), "critic_target": self.critic_target.state_dict(),
            "actor_opt": self.actor_opt.state_dict(),
            "critic_opt": self.critic_opt.state_dict(),
            "noise_generators": streams.get_states(self.noise_generators),
            "total_it": self.total_it,
        }

    def load_state_dict(self, state: dict) -> None:
        for name in ("actor", "actor_target", "critic", "critic_target", "actor_opt", "critic_opt"):
            getattr(self, name).load_state_dict(state[name])
        streams.set_states(self.noise_generators, state["noise_generators"])
        self.total_it = state["total_it"]
