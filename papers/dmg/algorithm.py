"""Doubly Mild Generalization (Mao et al., NeurIPS 2024): Sec. 3.5, Algorithm 1, App. C, plus the authors' code
details listed in ../shared/papers/dmg/reference_code.md (delayed actor, target-policy smoothing, cosine schedule
on the actor only, advantage-weight cap, Q normalisation in the actor loss).

One iteration, all K seeds at once (every loss is a per-seed mean, summed over seeds):
  1. V  <- in-sample maximum of the target critic on dataset actions (IQL expectile by default; XQL, SQL pluggable)
  2. Q  <- r + gamma * not_done * (lambda * min Q'(s', pi'(s') + smoothing) + (1 - lambda) * V(s'))     Eq. 16
  3. every `policy_freq` iterations: actor <- -Q(s, pi(s)) / mean|Q| + nu * w * (pi(s) - a)^2        Eq. 14
     with w = min(exp(alpha * (Q'(s, a) - V(s))), max_weight); then soft target updates.

The in-sample baselines XQL and SQL are this class with lambda = 0 (Q target r + gamma V(s')) and the actor
reduced to its own paper's weighted regression (no Q term): `actor_objective="weighted_bc"`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor

from shared.nets import adam, member_randn, minimise
from shared.rl import streams
from shared.rl.losses import expectile_loss, member_mse, soft_update
from shared.rl.modules import DeterministicActor, TwinCritic, ValueNet


@dataclass
class DMGConfig:
    lam: float = 0.25                 # mixture coefficient lambda (generalisation propagation), Table 5
    nu: float = 0.1                   # penalty coefficient nu (action generalisation), Table 5 (per dataset)
    in_sample: str = "expectile"      # in-sample maximum: expectile (IQL) | gumbel (XQL) | sparse (SQL)
    expectile: float = 0.7            # IQL tau: 0.7 Gym, 0.9 AntMaze
    xql_beta: float = 5.0             # XQL Gumbel temperature beta (App. C.1)
    xql_max_z: float = 7.0            # XQL code's clip on (Q - V) / beta that keeps exp() finite
    sql_alpha: float = 2.0            # SQL alpha: 2 medium / medium-replay, 5 medium-expert (App. C.1)
    temperature: float = 3.0          # inverse temperature alpha of the advantage weight: 3 Gym, 10 AntMaze
    max_weight: float = 3.0           # code-only cap on the advantage weight: 3 Gym, 100 AntMaze
    actor_objective: str = "dmg"      # dmg (Eq. 14) | weighted_bc (pure in-sample extraction, XQL/SQL baselines)
    weight_kind: str = "exp"          # advantage weight: exp (AWR, Eq. 14) | sparse (SQL's max(0, 1 + A / 2alpha))
    discount: float = 0.99
    tau: float = 0.005                # target update rate
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    value_lr: float = 3e-4
    policy_freq: int = 2              # delayed actor and target updates
    policy_noise: float = 0.2         # target-policy smoothing noise std (times max_action)
    noise_clip: float = 0.5
    total_steps: int = 1_000_000      # sets the cosine schedule: T_max = total_steps / policy_freq actor steps
    hidden: tuple[int, ...] = (256, 256)

    def __post_init__(self):
        checks = {
            "lam": 0.0 <= self.lam <= 1.0, "nu": self.nu >= 0.0, "expectile": 0.0 < self.expectile < 1.0,
            "in_sample": self.in_sample in IN_SAMPLE_LOSSES, "xql_beta": self.xql_beta > 0,
            "sql_alpha": self.sql_alpha > 0, "actor_objective": self.actor_objective in ("dmg", "weighted_bc"),
            "weight_kind": self.weight_kind in ("exp", "sparse"), "policy_freq": self.policy_freq >= 1,
            "total_steps": self.total_steps >= 1, "max_weight": self.max_weight > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid DMGConfig value(s): " + ", ".join(f"{b}={getattr(self, b)!r}" for b in bad))
        self.hidden = tuple(int(h) for h in self.hidden)


# ---- the pluggable in-sample maximum: loss(q = target-critic Q(s, a) [K, B], v = V(s) [K, B]) -> [K] ----------

def expectile_value_loss(q: Tensor, v: Tensor, cfg: DMGConfig) -> Tensor:
    """IQL, Eq. 15: expectile regression of V towards Q."""
    return expectile_loss(q - v, cfg.expectile)


def gumbel_value_loss(q: Tensor, v: Tensor, cfg: DMGConfig) -> Tensor:
    """XQL: Gumbel regression, mean of exp(z) - z - 1 with z = (Q - V) / beta (z clipped above as in XQL's code)."""
    z = ((q - v) / cfg.xql_beta).clamp(max=cfg.xql_max_z)
    return (torch.exp(z) - z - 1.0).mean(dim=1)


def sparse_value_loss(q: Tensor, v: Tensor, cfg: DMGConfig) -> Tensor:
    """SQL: mean of 1(u > 0) u^2 + V / alpha with u = 1 + (Q - V) / (2 alpha)."""
    u = 1.0 + (q - v) / (2.0 * cfg.sql_alpha)
    return (torch.where(u > 0, u.pow(2), torch.zeros_like(u)) + v / cfg.sql_alpha).mean(dim=1)


IN_SAMPLE_LOSSES = {"expectile": expectile_value_loss, "gumbel": gumbel_value_loss, "sparse": sparse_value_loss}


def advantage_weight(adv: Tensor, cfg: DMGConfig) -> Tensor:
    """Per-sample weight of the behaviour-cloning term, [K, B]."""
    if cfg.weight_kind == "sparse":
        return (1.0 + adv / (2.0 * cfg.sql_alpha)).clamp(min=0.0)
    return torch.exp(cfg.temperature * adv).clamp(max=cfg.max_weight)


class DMG:
    """K seeds of DMG trained together; follows the algorithm protocol of shared/rl/protocol.py."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: list[int], config: DMGConfig,
                 device: str = "cpu"):
        self.cfg, self.device, self.max_action = config, torch.device(device), float(max_action)
        self.seeds, self.act_dim = list(seeds), act_dim
        self.actor = DeterministicActor(obs_dim, act_dim, max_action, seeds, config.hidden).to(self.device)
        self.critic = TwinCritic(obs_dim, act_dim, seeds, config.hidden).to(self.device)
        self.value = ValueNet(obs_dim, seeds, config.hidden).to(self.device)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_opt = adam(self.actor.parameters(), lr=config.actor_lr)
        self.critic_opt = adam(self.critic.parameters(), lr=config.critic_lr)
        self.value_opt = adam(self.value.parameters(), lr=config.value_lr)
        # Cosine schedule on the actor only, stepped once per actor update (authors' code).
        self.actor_sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.actor_opt, T_max=max(1, config.total_steps // config.policy_freq))
        # Smoothing noise per seed, so seed k draws the same noise whether trained alone or with others.
        self.noise_generators = streams.generators("target_smoothing", seeds, self.device)
        self.value_loss_fn = IN_SAMPLE_LOSSES[config.in_sample]

    def setup(self, data) -> None:
        """Nothing to prepare."""

    def update(self, batch: dict[str, Tensor], step: int) -> dict[str, Tensor]:
        """One iteration of Algorithm 1 (`step` counts from 1; the actor moves on every policy_freq-th)."""
        obs, act = batch["observations"], batch["actions"]
        with torch.no_grad():
            q_data_target = self.critic_target.min_q(obs, act)

        value_loss, v = self.value_loss(obs, q_data_target)
        minimise(self.value_opt, value_loss)

        critic_loss, q_data = self.critic_loss(batch)
        minimise(self.critic_opt, critic_loss)
        stats = {"value_loss": value_loss.detach(), "critic_loss": critic_loss.detach(),
                 "q_mean": q_data.mean(dim=1), "v_mean": v.detach().mean(dim=1)}

        if step % self.cfg.policy_freq == 0:
            actor_loss, bc, weight = self.actor_loss(obs, act, q_data_target)
            minimise(self.actor_opt, actor_loss)
            self.actor_sched.step()
            soft_update(self.critic_target, self.critic, self.cfg.tau)
            soft_update(self.actor_target, self.actor, self.cfg.tau)
            stats.update(actor_loss=actor_loss.detach(), bc_loss=bc.detach(), weight_mean=weight.mean(dim=1))
        return stats

    def value_loss(self, obs: Tensor, q_data_target: Tensor) -> tuple[Tensor, Tensor]:
        """Eq. 15 (or its XQL / SQL counterpart): V(s) towards the in-sample maximum of Q'(s, a). -> ([K], V [K, B])"""
        v = self.value(obs)
        return self.value_loss_fn(q_data_target, v, self.cfg), v

    @torch.no_grad()
    def q_target(self, batch: dict[str, Tensor]) -> Tensor:
        """Eq. 16's target: r + gamma (1 - d) (lambda min Q'(s', a') + (1 - lambda) V(s')), a' = pi'(s') + clipped
        noise (TD3 target-policy smoothing); V is the online value net, as in the authors' code. [K, B]"""
        cfg, next_obs = self.cfg, batch["next_observations"]
        next_q = self.value(next_obs)
        if cfg.lam > 0:
            noise = member_randn(self.noise_generators, batch["actions"].shape[1:], self.device)
            noise = (noise * cfg.policy_noise).clamp(-cfg.noise_clip, cfg.noise_clip) * self.max_action
            next_act = (self.actor_target(next_obs) + noise).clamp(-self.max_action, self.max_action)
            next_q = cfg.lam * self.critic_target.min_q(next_obs, next_act) + (1.0 - cfg.lam) * next_q
        return batch["rewards"] + (1.0 - batch["terminals"]) * cfg.discount * next_q

    def critic_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """MSE(Q1, y) + MSE(Q2, y) per seed; also min(Q1, Q2)(s, a) [K, B] (detached) for the logs."""
        target = self.q_target(batch)
        q1, q2 = self.critic(batch["observations"], batch["actions"])
        return member_mse(q1, target) + member_mse(q2, target), torch.minimum(q1, q2).detach()

    def actor_loss(self, obs: Tensor, act: Tensor, q_data_target: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Eq. 14 with a deterministic policy: -Q(s, pi(s)) / mean|Q| + nu * mean(w (pi(s) - a)^2).
        -> (loss [K], weighted-BC term [K], weights [K, B])"""
        with torch.no_grad():
            weight = advantage_weight(q_data_target - self.value(obs), self.cfg)
        pi = self.actor(obs)
        bc = (weight.unsqueeze(-1) * (pi - act).pow(2)).flatten(1).mean(dim=1)
        if self.cfg.actor_objective == "weighted_bc":
            return bc, bc, weight
        q_pi = self.critic.min_q(obs, pi)
        q_scale = 1.0 / q_pi.abs().mean(dim=1).detach()   # TD3+BC-style normaliser (authors' code)
        return -q_scale * q_pi.mean(dim=1) + self.cfg.nu * bc, bc, weight

    @torch.no_grad()
    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        """A deterministic policy either way: online exploration noise is the data source's (authors' code)."""
        return self.actor(obs)

    @torch.no_grad()
    def q_value(self, obs: Tensor, act: Tensor) -> Tensor:
        """min(Q1, Q2) [K, B]: the learned Q that Figures 1 and 2 plot."""
        return self.critic.min_q(obs, act)

    def state_dict(self) -> dict:
        modules = ("actor", "critic", "value", "actor_target", "critic_target",
                   "actor_opt", "critic_opt", "value_opt", "actor_sched")
        state = {name: getattr(self, name).state_dict() for name in modules}
        state["noise_generators"] = streams.get_states(self.noise_generators)
        return state

    def load_state_dict(self, state: dict) -> None:
        for name, value in state.items():
            if name == "noise_generators":
                streams.set_states(self.noise_generators, value)
            else:
                getattr(self, name).load_state_dict(value)
