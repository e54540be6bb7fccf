"""DROMO (Liu, Zhong, Chen 2021; Eq. 13, Eq. 17, Algorithm 1): COMBO's critic plus a distributionally robust
variance penalty on Q.

  Eq. 13 ("action", default):  alpha * E_{s~d_f}[ sqrt( Var_{a~pi^f(.|s)} Q(s, a) + eps ) ]
      pi^f = f pi_beta + (1 - f) pi (f = the real-data fraction, as COMBO's f): of `dro_actions` actions per
      state, round(f M) come from a behaviour-cloned pi_beta and the rest from the current policy (actions
      detached; the gradient flows through Q only). The per-state normaliser 1 / sqrt(|D| d^pi_beta(s)) is a
      constant folded into alpha (continuous states have no counts; notes.md 6.1-2).
  Eq. 17 ("strict"):           alpha * sqrt( Var_{(s,a)~batch} Q(s, a) / n + eps ),  n = the batch size.

Both are added per critic head (Q1 and Q2), like COMBO's conservative term. pi_beta is a tanh-Gaussian MLP fitted
by maximum likelihood on the dataset in setup (`behaviour_steps` Adam steps), for the "action" form only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from shared.nets import adam, minimise, sample_indices
from shared.rl import streams
from shared.rl.combo import COMBO, COMBOConfig
from shared.rl.sac import TanhGaussianActor

DRO_FORMS = ("action", "strict")
ATANH_CLIP = 1.0 - 1e-6


@dataclass
class DROMOConfig(COMBOConfig):
    dro_alpha: float = 1.0             # alpha of Eq. 13 / 17 (no value in the paper)
    dro_form: str = "action"           # action (Eq. 13) | strict (Eq. 17)
    dro_actions: int = 10              # M actions per state for Var_{pi^f}
    dro_eps: float = 1e-6              # inside the square root: its gradient is infinite at 0
    behaviour_steps: int = 10_000      # pi_beta fitting (Eq. 13 only)
    behaviour_lr: float = 1e-3
    behaviour_hidden: tuple[int, ...] = (256, 256)
    behaviour_batch: int = 256

    def __post_init__(self):
        super().__post_init__()
        bad = [name for name, ok in {"dro_alpha": self.dro_alpha >= 0, "dro_form": self.dro_form in DRO_FORMS,
                                     "dro_actions": self.dro_actions >= 2, "dro_eps": self.dro_eps > 0,
                                     "behaviour_steps": self.behaviour_steps >= 0}.items() if not ok]
        if bad:
            raise ValueError("invalid config value(s): " + ", ".join(f"{b}={getattr(self, b)!r}" for b in bad))
        self.behaviour_hidden = tuple(int(h) for h in self.behaviour_hidden)


def behaviour_nll(actor: TanhGaussianActor, obs: Tensor, actions: Tensor) -> Tensor:
    """Per-member Gaussian NLL of atanh(a / max_action) (the tanh-Gaussian likelihood up to a parameter-free
    Jacobian): [K]."""
    pre_tanh = torch.atanh((actions / actor.max_action).clamp(-ATANH_CLIP, ATANH_CLIP))
    mean, log_std = actor.distribution(obs)
    nll = 0.5 * ((pre_tanh - mean) / log_std.exp()).pow(2) + log_std + 0.5 * math.log(2 * math.pi)
    return nll.sum(-1).mean(dim=1)


def action_variance_penalty(q_actions: Tensor, eps: float) -> Tensor:
    """E_s sqrt(Var_a Q(s, a) + eps) for q_actions [K, S, M] (population variance over the M actions): [K]."""
    return (q_actions.var(dim=-1, unbiased=False) + eps).sqrt().mean(dim=1)


def strict_variance_penalty(q: Tensor, eps: float) -> Tensor:
    """sqrt(Var_batch Q / n + eps) for q [K, n]: [K]."""
    return (q.var(dim=1, unbiased=False) / q.shape[1] + eps).sqrt()


class DROMO(COMBO):
    def __init__(self, obs_dim, act_dim, max_action, seeds, config: DROMOConfig = DROMOConfig(), device="cpu"):
        super().__init__(obs_dim, act_dim, max_action, seeds, config, device)
        self.behaviour = TanhGaussianActor(obs_dim, act_dim, max_action, streams.stream_seeds("behaviour_init", self.seeds),
                                           config.behaviour_hidden).to(self.device)
        self.behaviour_opt = adam(self.behaviour.parameters(), lr=config.behaviour_lr)
        self.dro_generators = streams.generators("dro_actions", self.seeds)

    def setup(self, data) -> None:
        super().setup(data)
        if self.config.dro_form == "action":
            self.fit_behaviour(data)

    def fit_behaviour(self, data) -> None:
        generators = streams.generators("behaviour_sampling", self.seeds)
        for _ in range(self.config.behaviour_steps):
            idx = sample_indices(generators, len(data), self.config.behaviour_batch, self.device)
            minimise(self.behaviour_opt, behaviour_nll(self.behaviour, data.observations[idx], data.actions[idx]))
        self.behaviour.requires_grad_(False)

    def _noise(self, n: int) -> Tensor:
        return torch.stack([torch.randn((n, self.act_dim), generator=g) for g in self.dro_generators]).to(self.device)

    def mixture_actions(self, states: Tensor) -> Tensor:
        """M actions per state from pi^f: round(f M) from pi_beta, the rest from pi; [K, S*M, act] (detached),
        grouped per state."""
        k, s, _ = states.shape
        m = self.config.dro_actions
        m_beta = round(self.config.real_fraction * m)
        with torch.no_grad():
            from_beta = self.behaviour.sample(states.repeat_interleave(m_beta, dim=1), self._noise(s * m_beta))[0]
            from_pi = self.sac.actor.sample(states.repeat_interleave(m - m_beta, dim=1), self._noise(s * (m - m_beta)))[0]
        actions = torch.cat([from_beta.reshape(k, s, m_beta, -1), from_pi.reshape(k, s, m - m_beta, -1)], dim=2)
        return actions.reshape(k, s * m, -1)

    def extra_critic_penalty(self, batch: dict[str, Tensor], n_real: int) -> Tensor:
        cfg = self.config
        if cfg.dro_form == "strict":
            q_heads = self.sac.critic(batch["observations"], batch["actions"])
            penalty = sum(strict_variance_penalty(q, cfg.dro_eps) for q in q_heads)
        else:
            states = batch["observations"]
            k, s, _ = states.shape
            q_heads = self.sac.critic(states.repeat_interleave(cfg.dro_actions, dim=1), self.mixture_actions(states))
            penalty = sum(action_variance_penalty(q.reshape(k, s, cfg.dro_actions), cfg.dro_eps) for q in q_heads)
        return cfg.dro_alpha * penalty

    def state_dict(self) -> dict:
        return {**super().state_dict(), "behaviour": self.behaviour.state_dict(),
                "dro_generators": streams.get_states(self.dro_generators)}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.behaviour.load_state_dict(state["behaviour"])
        streams.set_states(self.dro_generators, state["dro_generators"])
