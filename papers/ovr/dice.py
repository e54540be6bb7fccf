"""DualDICE (Nachum et al. 2019a), the stationary-distribution ratio estimator OVR cites (App. E.4, eq 72-73).

    min_nu  1/2 E_{(s,a,s') ~ D}[ (nu(s,a) - gamma (1 - done) nu(s', a'))^2 ] - (1 - gamma) E_{s0 ~ beta, a0 ~ pi}[ nu(s0,a0) ]
    omega(s,a) = nu(s,a) - gamma (1 - done) nu(s', a'),   a' ~ pi(s'),  an estimate of d_pi(s,a) / d_D(s,a)

Single-sample s' (the MuJoCo dynamics are deterministic, so the squared residual has no double-sampling bias) and a
terminal state is absorbing with nu = 0 there. beta is the empirical distribution of the episodes' first states.
Seed-vectorised like every network here: nu has K members, initial states are drawn from per-seed generators.
The network `nu_dice` is DualDICE's variable, not OVR's dual nu.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from shared.nets import EnsembleMLP, adam, minimise, sample_indices
from shared.rl import streams


def episode_starts(observations: torch.Tensor, next_observations: torch.Tensor, terminals: torch.Tensor
                   ) -> torch.Tensor:
    """Indices of the transitions that open an episode: the first one, and every one whose state is not the
    previous transition's next state (or that follows a terminal)."""
    breaks = (observations[1:] != next_observations[:-1]).any(dim=1) | (terminals[:-1] > 0)
    return torch.cat([torch.zeros(1, dtype=torch.long, device=observations.device),
                      torch.nonzero(breaks).squeeze(1) + 1])


class DualDICE:
    def __init__(self, obs_dim: int, act_dim: int, seeds: Sequence[int], discount: float,
                 hidden: Sequence[int] = (256, 256), lr: float = 3e-4, device: str = "cpu"):
        self.nu_dice = EnsembleMLP(obs_dim + act_dim, 1, hidden, len(seeds),
                                   streams.stream_seeds("ratio_init", seeds)).to(device)
        self.opt = adam(self.nu_dice.parameters(), lr)
        self.generators = streams.generators("ratio", seeds, device)
        self.discount, self.device = discount, device
        self.initial_obs: torch.Tensor | None = None

    def set_initial_states(self, initial_obs: torch.Tensor) -> None:
        if initial_obs.shape[0] == 0:
            raise ValueError("DualDICE needs at least one initial state")
        self.initial_obs = initial_obs.to(self.device)

    def sample_initial(self, batch_size: int) -> torch.Tensor:
        """[K, B, obs] initial states, member k's drawn from its own generator."""
        if self.initial_obs is None:
            raise RuntimeError("DualDICE.set_initial_states must be called before training")
        idx = sample_indices(self.generators, len(self.initial_obs), batch_size, self.device)
        return self.initial_obs[idx]

    def nu(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self.nu_dice(torch.cat([obs, actions], dim=-1)).squeeze(-1)

    def residual(self, batch: dict[str, torch.Tensor], next_actions: torch.Tensor) -> torch.Tensor:
        """nu(s,a) - gamma (1 - done) nu(s',a'): [K, B] (the ratio estimate, with gradient)."""
        next_nu = self.nu(batch["next_observations"], next_actions)
        return self.nu(batch["observations"], batch["actions"]) - self.discount * (1 - batch["terminals"]) * next_nu

    def loss(self, batch: dict[str, torch.Tensor], next_actions: torch.Tensor, initial_obs: torch.Tensor,
             initial_actions: torch.Tensor) -> torch.Tensor:
        """Per-member DualDICE objective (eq 73): [K]."""
        residual = self.residual(batch, next_actions)
        initial = self.nu(initial_obs, initial_actions)
        return 0.5 * residual.pow(2).mean(dim=1) - (1 - self.discount) * initial.mean(dim=1)

    def step(self, batch, next_actions, initial_obs, initial_actions) -> torch.Tensor:
        loss = self.loss(batch, next_actions, initial_obs, initial_actions)
        minimise(self.opt, loss)
        return loss.detach()

    @torch.no_grad()
    def ratio(self, batch: dict[str, torch.Tensor], next_actions: torch.Tensor) -> torch.Tensor:
        return self.residual(batch, next_actions)

    def state_dict(self) -> dict:
        return {"nu_dice": self.nu_dice.state_dict(), "opt": self.opt.state_dict(),
                "generators": streams.get_states(self.generators), "initial_obs": self.initial_obs}

    def load_state_dict(self, state: dict) -> None:
        self.nu_dice.load_state_dict(state["nu_dice"])
        self.opt.load_state_dict(state["opt"])
        streams.set_states(self.generators, state["generators"])
        self.initial_obs = state["initial_obs"]
