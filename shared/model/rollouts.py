"""MBPO-style branched rollouts: h model steps from dataset states, into a per-seed FIFO model buffer.

A branch ends at a terminal state (the environment's rule, kept as a transition with terminal = 1) and is cut
(its last transition dropped, no terminal) when the model predicts a state outside the data's state box widened
by `margin` times its range on each side: the model is not trusted there, and such states would only feed the
critic extrapolated nonsense. Non-finite predictions are always dropped.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from shared.model.ensemble import GaussianEnsemble
from shared.model.termination import Termination


class ModelBuffer:
    """K ring buffers (one per seed) of model transitions; the oldest are overwritten first."""

    def __init__(self, n_seeds: int, capacity: int, obs_dim: int, act_dim: int, device="cpu"):
        if capacity < 1:
            raise ValueError(f"model buffer capacity must be >= 1, got {capacity}")
        dims = {"observations": (obs_dim,), "actions": (act_dim,), "rewards": (), "next_observations": (obs_dim,),
                "terminals": ()}
        self.capacity = capacity
        self.data = {name: torch.zeros((n_seeds, capacity, *d), device=device) for name, d in dims.items()}
        self.ptr = [0] * n_seeds
        self.size = [0] * n_seeds

    def add(self, k: int, transitions: dict[str, Tensor]) -> None:
        n = transitions["rewards"].shape[0]
        if n > self.capacity:  # only the newest fit
            transitions = {name: v[-self.capacity:] for name, v in transitions.items()}
            n = self.capacity
        idx = (torch.arange(n) + self.ptr[k]) % self.capacity
        for name, value in transitions.items():
            self.data[name][k, idx.to(value.device)] = value
        self.ptr[k] = (self.ptr[k] + n) % self.capacity
        self.size[k] = min(self.size[k] + n, self.capacity)

    def sample(self, generators: Sequence[torch.Generator], batch_size: int) -> dict[str, Tensor]:
        """[K, batch_size, ...] uniformly from each seed's filled part, seed k's indices from generators[k]."""
        if min(self.size) == 0:
            raise RuntimeError("the model buffer of some seed is empty: no rollout has produced transitions")
        idx = torch.stack([torch.randint(n, (batch_size,), generator=g) for n, g in zip(self.size, generators)])
        idx = idx.to(self.data["rewards"].device)
        return {name: torch.stack([v[k, idx[k]] for k in range(v.shape[0])]) for name, v in self.data.items()}

    def state_dict(self) -> dict:
        return {"data": {k: v.clone() for k, v in self.data.items()}, "ptr": list(self.ptr), "size": list(self.size)}

    def load_state_dict(self, state: dict) -> None:
        for name, value in state["data"].items():
            self.data[name].copy_(value)
        self.ptr, self.size = list(state["ptr"]), list(state["size"])


def state_box(observations: Tensor, margin: float) -> tuple[Tensor, Tensor]:
    """[lo, hi] per state dimension: the data's range widened by `margin` times the range on each side."""
    lo, hi = observations.min(dim=0).values, observations.max(dim=0).values
    width = (hi - lo) * margin
    return lo - width, hi + width


@torch.no_grad()
def branched_rollout(model: GaussianEnsemble, start_obs: Tensor, policy: Callable[[Tensor], Tensor],
                     termination: Termination, horizon: int, box: tuple[Tensor, Tensor],
                     generators: Sequence[torch.Generator], buffer: ModelBuffer) -> dict[str, Tensor]:
    """Roll out `horizon` steps from start_obs [K, N, obs] with `policy` (obs [K, N, obs] -> act [K, N, act]) and
    add the kept transitions to `buffer`; returns per seed [K] the kept transitions per start state and the
    fraction of them that are terminal."""
    lo, hi = box
    obs = start_obs
    alive = torch.ones(start_obs.shape[:2], dtype=torch.bool, device=start_obs.device)
    kept = torch.zeros(start_obs.shape[0], device=start_obs.device)
    terminals = torch.zeros_like(kept)
    for _ in range(horizon):
        act = policy(obs)
        next_obs, reward = model.sample_step(obs, act, generators)
        done = termination(next_obs)
        finite = torch.isfinite(next_obs).all(-1) & torch.isfinite(reward)
        inside = ((next_obs >= lo) & (next_obs <= hi)).all(-1)
        keep = alive & finite & (inside | done)
        for k in range(obs.shape[0]):
            mask = keep[k]
            buffer.add(k, {"observations": obs[k][mask], "actions": act[k][mask], "rewards": reward[k][mask],
                           "next_observations": next_obs[k][mask], "terminals": done[k][mask].float()})
        kept += keep.sum(dim=1)
        terminals += (keep & done).sum(dim=1)
        alive = keep & ~done
        if not alive.any():
            break
        obs = torch.where(alive[..., None], next_obs, obs)
    return {"rollout_kept_per_start": kept / start_obs.shape[1], "rollout_terminal_fraction": terminals / kept.clamp(min=1)}
