"""IQL (Kostrikov, Nair & Levine 2021) with the defaults of the authors' code.

Per update, in the authors' order:
  V:      expectile regression of V(s) onto min_i Q_i'(s, a) (target critics), expectile tau
  actor:  advantage-weighted regression, loss = -mean(min(exp(beta (Q'(s,a) - V(s))), 100) log pi(a|s))
  Q:      MSE of both critics onto r + gamma (1 - done) V(s')
  target: Polyak averaging of the critics every update (rate 0.005)
Gym locomotion: expectile 0.7, beta (temperature) 3; AntMaze: 0.9 and 10. Actor lr follows a cosine decay to 0
over the training run (`cosine_steps`; None keeps it constant, as in IQL's online fine-tuning).

The actor is the authors' Gaussian: mean max_action * tanh(MLP(s)), a state-independent log-std clipped to
[-5, 2]; evaluation acts with the mean. The authors scale locomotion rewards by 1000 / (max - min trajectory
return) of the dataset and subtract 1 from AntMaze rewards; `locomotion_reward_scale` computes the former for
the loop, which applies it (the algorithm sees transformed rewards).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from shared.nets import EnsembleMLP, adam, member_randn, minimise
from shared.rl import streams
from shared.rl.losses import expectile_loss, member_mse, soft_update
from shared.rl.modules import TwinCritic, ValueNet

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0


@dataclass
class IQLConfig:
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    value_lr: float = 3e-4
    hidden: tuple[int, ...] = (256, 256)
    discount: float = 0.99
    tau: float = 0.005              # target-network rate
    expectile: float = 0.7          # 0.9 on AntMaze
    temperature: float = 3.0        # inverse temperature beta; 10 on AntMaze
    max_weight: float = 100.0       # cap on exp(beta * advantage)
    cosine_steps: int | None = 1_000_000


class GaussianActor(nn.Module):
    """pi(a|s) = N(max_action * tanh(MLP(s)), diag(exp(2 log_std))) with a learned state-independent log-std."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 hidden: Sequence[int] = (256, 256)):
        super().__init__()
        self.mean_net = EnsembleMLP(obs_dim, act_dim, hidden, len(seeds), seeds, output_activation=nn.Tanh)
        self.log_std = nn.Parameter(torch.zeros(len(seeds), 1, act_dim))
        self.max_action = max_action

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """The mean action [K, B, act]."""
        return self.max_action * self.mean_net(obs)

    def distribution(self, obs: torch.Tensor) -> torch.distributions.Normal:
        std = self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX).exp()
        return torch.distributions.Normal(self(obs), std.expand(obs.shape[0], obs.shape[1], -1))

    def log_prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """log pi(a|s) summed over action dimensions: [K, B]."""
        return self.distribution(obs).log_prob(actions).sum(dim=-1)


def cosine_decay(total_steps: int | None):
    """LR multiplier of optax.cosine_decay_schedule: 0.5 (1 + cos(pi min(t, T) / T)); constant 1 if T is None."""
    if total_steps is None:
        return lambda t: 1.0
    return lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, total_steps) / total_steps))


class IQL:
    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 config: IQLConfig | None = None, device: str = "cpu"):
        self.config = cfg = config or IQLConfig()
        self.device = device
        self.seeds = [int(s) for s in seeds]
        self.actor = GaussianActor(obs_dim, act_dim, max_action, seeds, cfg.hidden).to(device)
        self.critic = TwinCritic(obs_dim, act_dim, seeds, cfg.hidden).to(device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.value = ValueNet(obs_dim, seeds, cfg.hidden).to(device)
        self.actor_opt = adam(self.actor.parameters(), lr=cfg.actor_lr)
        self.critic_opt = adam(self.critic.parameters(), lr=cfg.critic_lr)
        self.value_opt = adam(self.value.parameters(), lr=cfg.value_lr)
        self.actor_sched = torch.optim.lr_scheduler.LambdaLR(self.actor_opt,
                                                                 cosine_decay(cfg.cosine_steps))
        # Online, IQL explores by sampling its own policy (IQL's fine-tuning protocol).
        self.exploration_generators = streams.generators("exploration", seeds, device)

    def setup(self, data) -> None:
        """Nothing to prepare."""

    def update(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        obs, actions = batch["observations"], batch["actions"]
        with torch.no_grad():
            q_target = self.critic_target.min_q(obs, actions)
        value_loss = self.update_value(obs, q_target)
        actor_loss, weights = self.update_actor(obs, actions, q_target)
        critic_loss, q_data = self.update_critic(batch)
        soft_update(self.critic_target, self.critic, self.config.tau)
        return {"value_loss": value_loss, "actor_loss": actor_loss, "critic_loss": critic_loss,
                "q_mean": q_data.mean(dim=1), "adv_weight_mean": weights.mean(dim=1)}

    def update_value(self, obs: torch.Tensor, q_target: torch.Tensor) -> torch.Tensor:
        loss = expectile_loss(q_target - self.value(obs), self.config.expectile)
        minimise(self.value_opt, loss)
        return loss.detach()

    def advantage_weights(self, obs: torch.Tensor, q_target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            advantage = q_target - self.value(obs)
            return (self.config.temperature * advantage).exp().clamp(max=self.config.max_weight)

    def update_actor(self, obs: torch.Tensor, actions: torch.Tensor,
                     q_target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = self.advantage_weights(obs, q_target)
        loss = -(weights * self.actor.log_prob(obs, actions)).mean(dim=1)
        minimise(self.actor_opt, loss)
        self.actor_sched.step()
        return loss.detach(), weights

    def update_critic(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            next_v = self.value(batch["next_observations"])
            target = batch["rewards"] + (1.0 - batch["terminals"]) * self.config.discount * next_v
        q1, q2 = self.critic(batch["observations"], batch["actions"])
        loss = member_mse(q1, target) + member_mse(q2, target)
        minimise(self.critic_opt, loss)
        return loss.detach(), q1.detach()

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        """The mean action; deterministic=False: a ~ pi(.|s), clipped, member k's noise from its own stream."""
        if deterministic:
            return self.actor(obs)
        dist = self.actor.distribution(obs)
        noise = member_randn(self.exploration_generators, dist.mean.shape[1:], obs.device)
        return (dist.mean + dist.stddev * noise).clamp(-self.actor.max_action, self.actor.max_action)

    def state_dict(self) -> dict:
        names = ("actor", "critic", "critic_target", "value", "actor_opt", "critic_opt",
                 "value_opt", "actor_sched")
        state = {name: getattr(self, name).state_dict() for name in names}
        state["exploration_generators"] = streams.get_states(self.exploration_generators)
        return state

    def load_state_dict(self, state: dict) -> None:
        for name, value in state.items():
            if name == "exploration_generators":
                streams.set_states(self.exploration_generators, value)
            else:
                getattr(self, name).load_state_dict(value)


def locomotion_reward_scale(rewards: torch.Tensor, terminals: torch.Tensor, timeouts: torch.Tensor) -> float:
    """1000 / (max - min undiscounted trajectory return) over the dataset's trajectories (IQL, Gym locomotion).

    Trajectories end at a terminal or a timeout; a trailing unfinished trajectory counts as one."""
    ends = torch.nonzero((terminals > 0) | (timeouts > 0)).flatten().tolist()
    if not ends or ends[-1] != len(rewards) - 1:
        ends.append(len(rewards) - 1)
    cumulative = torch.cumsum(rewards.double(), dim=0)
    end_sums = cumulative[torch.tensor(ends)]
    returns = end_sums - torch.cat([end_sums.new_zeros(1), end_sums[:-1]])
    spread = float(returns.max() - returns.min())
    if spread <= 0:
        raise ValueError("all trajectories have the same return; the IQL reward scale is undefined")
    return 1000.0 / spread
