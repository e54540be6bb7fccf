"""BCQ for continuous control (Fujimoto, Meger & Precup 2019) with the defaults of the authors' continuous_BCQ.

Per update, in the authors' order:
  VAE:    conditional VAE G(a | s): loss = MSE(reconstruction, a) + 0.5 KL(q(z | s, a) || N(0, I))
  critic: y = r + gamma (1 - done) max_j [l min(Q1', Q2') + (1 - l) max(Q1', Q2')](s', a'_j), l = 0.75,
          over n_target_samples = 10 actions a'_j = perturb'(s', G(s')) (target perturbation network)
  actor:  perturbation xi(s, a) = phi max_action tanh(MLP(s, a)), a + xi clamped; loss -Q1(s, perturb(s, G(s)))
  target: Polyak averaging of the critics and the perturbation network every update (rate 0.005)
Acting: n_action_samples = 100 candidates perturb(s, G(s)), the one with the largest Q1 is taken. The authors draw
fresh latents at every call (act(deterministic=False)); the evaluation policy (deterministic=True, the protocol's
default) uses 100 clipped latents drawn once per seed, so it is one fixed policy.
Decoder samples use z ~ N(0, I) clipped to [-0.5, 0.5]; encoder log-std is clamped to [-4, 15]. No state
normalisation, lr 1e-3 for every network, batch 100 (the loop's setting).

Subclasses change the critic's regression through two hooks: `critic_rewards(batch)` (the reward in the target)
and `critic_weights(batch)` (per-sample weights of the TD loss); BCQ itself uses r and uniform weights.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from shared.nets import EnsembleMLP, adam, member_randn, minimise
from shared.rl import streams
from shared.rl.losses import member_mse, soft_update
from shared.rl.modules import TwinCritic

LOG_STD_MIN, LOG_STD_MAX = -4.0, 15.0
LATENT_CLIP = 0.5


@dataclass
class BCQConfig:
    actor_lr: float = 1e-3
    critic_lr: float = 1e-3
    vae_lr: float = 1e-3
    actor_hidden: tuple[int, ...] = (400, 300)
    critic_hidden: tuple[int, ...] = (400, 300)
    vae_hidden: tuple[int, ...] = (750, 750)
    latent_factor: int = 2          # latent dim = latent_factor * act_dim
    discount: float = 0.99
    tau: float = 0.005
    lmbda: float = 0.75             # soft clipped double-Q weight on the minimum
    phi: float = 0.05               # perturbation range, in units of max_action
    n_target_samples: int = 10
    n_action_samples: int = 100


class VAE(nn.Module):
    """Conditional VAE of the behaviour policy; encoder [s, a] -> (mean, log-std) of z, decoder [s, z] -> a."""

    def __init__(self, obs_dim: int, act_dim: int, latent_dim: int, max_action: float, seeds: Sequence[int],
                 hidden: Sequence[int]):
        super().__init__()
        # One output layer for mean and log-std together: the same per-element initialisation as two heads.
        self.encoder = EnsembleMLP(obs_dim + act_dim, 2 * latent_dim, hidden, len(seeds), seeds)
        self.decoder = EnsembleMLP(obs_dim + latent_dim, act_dim, hidden, len(seeds),
                                   streams.stream_seeds("vae_init", seeds), output_activation=nn.Tanh)
        self.latent_dim, self.max_action = latent_dim, max_action

    def encode(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.encoder(torch.cat([obs, actions], dim=-1)).chunk(2, dim=-1)
        return mean, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def decode(self, obs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.max_action * self.decoder(torch.cat([obs, z], dim=-1))

    def loss(self, obs: torch.Tensor, actions: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-member reconstruction MSE + 0.5 KL (both means over batch and dimensions, as the authors)."""
        mean, log_std = self.encode(obs, actions)
        std = log_std.exp()
        recon = self.decode(obs, mean + std * noise)
        kl = -0.5 * (1 + 2 * log_std - mean.pow(2) - std.pow(2))
        return member_mse(recon, actions) + 0.5 * kl.flatten(1).mean(dim=1)


class Perturbation(nn.Module):
    """a + phi * max_action * tanh(MLP(s, a)), clamped to the action range; [K, B, obs], [K, B, act] -> [K, B, act]."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, phi: float, seeds: Sequence[int],
                 hidden: Sequence[int]):
        super().__init__()
        self.net = EnsembleMLP(obs_dim + act_dim, act_dim, hidden, len(seeds), seeds, output_activation=nn.Tanh)
        self.max_action, self.phi = max_action, phi

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        xi = self.phi * self.max_action * self.net(torch.cat([obs, actions], dim=-1))
        return (actions + xi).clamp(-self.max_action, self.max_action)


class BCQ:
    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 config: BCQConfig | None = None, device: str = "cpu"):
        self.config = cfg = config or BCQConfig()
        self.seeds = [int(s) for s in seeds]
        self.max_action, self.act_dim, self.device = max_action, act_dim, device
        self.vae = VAE(obs_dim, act_dim, cfg.latent_factor * act_dim, max_action, seeds, cfg.vae_hidden).to(device)
        self.actor = Perturbation(obs_dim, act_dim, max_action, cfg.phi, seeds, cfg.actor_hidden).to(device)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic = TwinCritic(obs_dim, act_dim, seeds, cfg.critic_hidden).to(device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.vae_opt = adam(self.vae.parameters(), cfg.vae_lr)
        self.actor_opt = adam(self.actor.parameters(), cfg.actor_lr)
        self.critic_opt = adam(self.critic.parameters(), cfg.critic_lr)
        # Training noise and acting noise are separate streams: evaluating never shifts the training numbers.
        self.noise_generators = streams.generators("vae_noise", seeds, device)
        self.act_generators = streams.generators("generative_act", seeds, device)
        self.eval_latents = self.latent_noise((cfg.n_action_samples,), self.act_generators).clamp(
            -LATENT_CLIP, LATENT_CLIP)

    def setup(self, data) -> None:
        """BCQ needs nothing from the dataset before training."""

    # --- sampling from the generative model -------------------------------------------------------------------
    def latent_noise(self, shape: Sequence[int], generators) -> torch.Tensor:
        return member_randn(generators, (*shape, self.vae.latent_dim), self.device)

    def sample_actions(self, obs: torch.Tensor, generators, actor: Perturbation | None = None,
                       z: torch.Tensor | None = None) -> torch.Tensor:
        """perturb(s, G(s, z)) with z ~ N(0, I) clipped to +-0.5 unless given; [K, N, obs] -> [K, N, act]."""
        if z is None:
            z = self.latent_noise(obs.shape[1:-1], generators).clamp(-LATENT_CLIP, LATENT_CLIP)
        return (actor or self.actor)(obs, self.vae.decode(obs, z))

    # --- one update -------------------------------------------------------------------------------------------
    def update(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        obs, actions = batch["observations"], batch["actions"]
        vae_loss = self.vae.loss(obs, actions, self.latent_noise(obs.shape[1:-1], self.noise_generators))
        minimise(self.vae_opt, vae_loss)
        stats = self.update_critic(batch)
        stats["vae_loss"] = vae_loss.detach()
        stats["actor_loss"] = self.update_actor(obs)
        soft_update(self.critic_target, self.critic, self.config.tau)
        soft_update(self.actor_target, self.actor, self.config.tau)
        return stats

    def critic_rewards(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The reward of the critic's target [K, B]."""
        return batch["rewards"]

    def critic_weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """Per-sample weights [K, B] of the TD loss, or None for the plain mean."""
        return None

    @torch.no_grad()
    def target_values(self, next_obs: torch.Tensor) -> torch.Tensor:
        """max over n_target_samples actions of the soft clipped double-Q of the target critics: [K, B]."""
        cfg = self.config
        k, b = next_obs.shape[:2]
        repeated = next_obs.repeat_interleave(cfg.n_target_samples, dim=1)
        q1, q2 = self.critic_target(repeated, self.sample_actions(repeated, self.noise_generators, self.actor_target))
        q = cfg.lmbda * torch.minimum(q1, q2) + (1.0 - cfg.lmbda) * torch.maximum(q1, q2)
        return q.reshape(k, b, cfg.n_target_samples).amax(dim=2)

    def update_critic(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        rewards = self.critic_rewards(batch)
        target = rewards + (1.0 - batch["terminals"]) * self.config.discount * self.target_values(
            batch["next_observations"])
        q1, q2 = self.critic(batch["observations"], batch["actions"])
        weights = self.critic_weights(batch)
        if weights is None:
            loss = member_mse(q1, target) + member_mse(q2, target)
        else:
            loss = (weights * ((q1 - target).pow(2) + (q2 - target).pow(2))).mean(dim=1)
        minimise(self.critic_opt, loss)
        return {"critic_loss": loss.detach(), "q_mean": q1.detach().mean(dim=1),
                "critic_reward_mean": rewards.detach().mean(dim=1)}

    def update_actor(self, obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            z = self.latent_noise(obs.shape[1:-1], self.noise_generators).clamp(-LATENT_CLIP, LATENT_CLIP)
            sampled = self.vae.decode(obs, z)
        perturbed = self.actor(obs, sampled)
        loss = -self.critic.q1(torch.cat([obs, perturbed], dim=-1)).squeeze(-1).mean(dim=1)
        minimise(self.actor_opt, loss)
        return loss.detach()

    # --- acting -----------------------------------------------------------------------------------------------
    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        """BCQ's policy: the best of n_action_samples perturbed VAE samples by Q1; [K, E, obs] -> [K, E, act].
        deterministic: the fixed evaluation latents; otherwise fresh ones from the acting stream (the authors')."""
        n = self.config.n_action_samples
        k, e = obs.shape[:2]
        repeated = obs.repeat_interleave(n, dim=1)
        z = self.eval_latents.repeat(1, e, 1) if deterministic else None
        candidates = self.sample_actions(repeated, self.act_generators, z=z)
        q1 = self.critic.q1(torch.cat([repeated, candidates], dim=-1)).reshape(k, e, n)
        best = q1.argmax(dim=2)
        candidates = candidates.reshape(k, e, n, self.act_dim)
        return candidates.gather(2, best[..., None, None].expand(k, e, 1, self.act_dim)).squeeze(2)

    # --- checkpoints ------------------------------------------------------------------------------------------
    MODULES = ("vae", "actor", "actor_target", "critic", "critic_target", "vae_opt", "actor_opt", "critic_opt")

    def state_dict(self) -> dict:
        return {**{name: getattr(self, name).state_dict() for name in self.MODULES},
                "noise_generators": streams.get_states(self.noise_generators),
                "act_generators": streams.get_states(self.act_generators), "eval_latents": self.eval_latents}

    def load_state_dict(self, state: dict) -> None:
        for name in self.MODULES:
            getattr(self, name).load_state_dict(state[name])
        for name in ("noise_generators", "act_generators"):
            streams.set_states(getattr(self, name), state[name])
        self.eval_latents = state["eval_latents"].to(self.device)
