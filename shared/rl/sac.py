"""Soft Actor-Critic (Haarnoja et al. 2018, with automatic entropy tuning), seed-vectorised.

The agent holds K independent members (one per seed) and knows nothing about environments: it maps observation
batches [K, B, obs] to actions and performs one gradient update on a transition batch [K, B, ...]. Environment
loops (behaviour-policy training, model rollouts of COMBO/DROMO) live with their callers.
Every loss is a sum over members of per-member means, so K members train exactly as K separate runs would.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from shared.nets import EnsembleMLP, adam, member_randn, minimise
from shared.rl import streams
from shared.rl.losses import soft_update
from shared.rl.modules import TwinCritic

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


@dataclass(frozen=True)
class SACConfig:
    hidden: tuple[int, ...] = (256, 256)
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    alpha_lr: float = 3e-4
    batch_size: int = 256
    gamma: float = 0.99
    tau: float = 0.005
    init_alpha: float = 1.0
    target_entropy: float | None = None  # None: -act_dim, the usual heuristic


class TanhGaussianActor(nn.Module):
    """pi(a|s) = max_action * tanh(N(mu(s), sigma(s))); [K, B, obs] -> actions [K, B, act] and log-probs [K, B]."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 hidden: Sequence[int] = (256, 256)):
        super().__init__()
        self.net = EnsembleMLP(obs_dim, 2 * act_dim, hidden, len(seeds),
                               streams.stream_seeds("sac_actor_init", seeds))
        self.act_dim, self.max_action = act_dim, max_action

    def distribution(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.net(obs).split(self.act_dim, dim=-1)
        return mean, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def sample(self, obs: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised sample from given standard-normal noise [K, B, act]; returns (action, log_prob)."""
        mean, log_std = self.distribution(obs)
        pre_tanh = mean + log_std.exp() * noise
        gaussian_log_prob = (-0.5 * noise.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        # log|d tanh(u)/du| = log(1 - tanh(u)^2), written in a numerically stable form.
        squash_correction = (2 * (math.log(2) - pre_tanh - F.softplus(-2 * pre_tanh))).sum(-1)
        log_prob = gaussian_log_prob - squash_correction - self.act_dim * math.log(self.max_action)
        return self.max_action * torch.tanh(pre_tanh), log_prob

    def deterministic(self, obs: torch.Tensor) -> torch.Tensor:
        mean, _ = self.distribution(obs)
        return self.max_action * torch.tanh(mean)


class SAC:
    """K SAC agents (one per seed): twin critics with target copies, tanh-Gaussian actor, learned temperature."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 config: SACConfig = SACConfig(), device: str | torch.device = "cpu"):
        self.config, self.seeds, self.device = config, [int(s) for s in seeds], torch.device(device)
        self.actor = TanhGaussianActor(obs_dim, act_dim, max_action, seeds, config.hidden).to(self.device)
        self.critic = TwinCritic(obs_dim, act_dim, seeds, config.hidden).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.log_alpha = nn.Parameter(torch.full((len(seeds),), math.log(config.init_alpha), device=self.device))
        self.target_entropy = -float(act_dim) if config.target_entropy is None else config.target_entropy
        self.actor_opt = adam(self.actor.parameters(), lr=config.actor_lr)
        self.critic_opt = adam(self.critic.parameters(), lr=config.critic_lr)
        self.alpha_opt = adam([self.log_alpha], lr=config.alpha_lr)
        # Separate streams for update noise and acting noise, one per member, so member k's numbers
        # depend on seeds[k] alone.
        self.update_generators = streams.generators("sac_update", seeds, self.device)
        self.act_generators = streams.generators("sac_act", seeds, self.device)

    @property
    def n_members(self) -> int:
        return len(self.seeds)

    def setup(self, data) -> None:
        """Nothing to prepare."""

    def _noise(self, generators: list[torch.Generator], like: torch.Tensor) -> torch.Tensor:
        return member_randn(generators, like.shape[1:-1] + (self.actor.act_dim,), self.device)

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        """Actions [K, B, act] for observations [K, B, obs]: the tanh of the mean, or (deterministic=False) a
        sample of the policy with noise from the acting stream."""
        if deterministic:
            return self.actor.deterministic(obs)
        return self.actor.sample(obs, self._noise(self.act_generators, obs))[0]

    def critic_loss(self, obs, actions, rewards, next_obs, terminals) -> torch.Tensor:
        """Per-member soft Bellman error [K]; rewards and terminals are [K, B]."""
        with torch.no_grad():
            next_actions, next_log_prob = self.actor.sample(next_obs, self._noise(self.update_generators, next_obs))
            alpha = self.log_alpha.exp().unsqueeze(1)
            next_v = self.critic_target.min_q(next_obs, next_actions) - alpha * next_log_prob
            target = rewards + self.config.gamma * (1.0 - terminals) * next_v
        q1, q2 = self.critic(obs, actions)
        return ((q1 - target).pow(2) + (q2 - target).pow(2)).mean(dim=1)

    def actor_and_alpha_loss(self, obs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-member actor loss [K], temperature loss [K] and policy entropy estimate [K]."""
        actions, log_prob = self.actor.sample(obs, self._noise(self.update_generators, obs))
        alpha = self.log_alpha.exp().detach().unsqueeze(1)
        actor_loss = (alpha * log_prob - self.critic.min_q(obs, actions)).mean(dim=1)
        alpha_loss = -(self.log_alpha.unsqueeze(1) * (log_prob.detach() + self.target_entropy)).mean(dim=1)
        return actor_loss, alpha_loss, -log_prob.detach().mean(dim=1)

    def update(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        """One SAC step on a batch with keys observations, actions, rewards, next_observations, terminals
        (each [K, B, ...]); returns per-member diagnostics [K]. SAC does the same at every step."""
        critic_loss = self.critic_loss(batch["observations"], batch["actions"], batch["rewards"],
                                       batch["next_observations"], batch["terminals"])
        minimise(self.critic_opt, critic_loss)

        # The critic is fixed while the actor learns, so its parameters get no gradient from the actor loss.
        self.critic.requires_grad_(False)
        actor_loss, alpha_loss, entropy = self.actor_and_alpha_loss(batch["observations"])
        self.critic.requires_grad_(True)
        minimise(self.actor_opt, actor_loss)
        minimise(self.alpha_opt, alpha_loss)

        soft_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss.detach(), "actor_loss": actor_loss.detach(),
                "alpha": self.log_alpha.detach().exp(), "entropy": entropy}

    def state_dict(self) -> dict:
        """A snapshot (copied, not live tensors) of everything needed to resume: weights, optimiser moments,
        noise-generator states."""
        return copy.deepcopy({
            "actor": self.actor.state_dict(), "critic": self.critic.state_dict(),
            "critic_target": self.critic_target.state_dict(), "log_alpha": self.log_alpha.detach(),
            "actor_opt": self.actor_opt.state_dict(), "critic_opt": self.critic_opt.state_dict(),
            "alpha_opt": self.alpha_opt.state_dict(),
            "update_generators": streams.get_states(self.update_generators),
            "act_generators": streams.get_states(self.act_generators), "config": asdict(self.config)})

    def load_state_dict(self, state: dict) -> None:
        for name in ("actor", "critic", "critic_target", "actor_opt", "critic_opt", "alpha_opt"):
            getattr(self, name).load_state_dict(state[name])
        with torch.no_grad():
            self.log_alpha.copy_(state["log_alpha"])
        streams.set_states(self.update_generators, state["update_generators"])
        streams.set_states(self.act_generators, state["act_generators"])
