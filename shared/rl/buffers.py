"""The K-seed replay buffer of online training: an offline part every seed samples from (or none), then each
seed's own transitions [K, capacity, ...]. It saves and restores its full state, so a killed job resumes exactly.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from shared.nets import sample_indices

FIELDS = ("observations", "actions", "rewards", "next_observations", "terminals")


class ReplayBuffer:
    """Transitions for K seeds: an offline part [N, ...] every seed samples from, then each seed's online part
    [K, capacity, ...]. Sampling is uniform over both together (the authors pre-fill one buffer with the dataset).
    With `fifo`, a full buffer overwrites its oldest online transitions (model-rollout buffers)."""

    def __init__(self, offline: dict[str, torch.Tensor] | None, n_members: int, capacity: int, obs_dim: int,
                 act_dim: int, device: str | torch.device = "cpu", fifo: bool = False):
        self.offline = {name: offline[name].to(device) for name in FIELDS} if offline else None
        self.n_offline = len(offline["rewards"]) if offline else 0
        widths = {"observations": (obs_dim,), "actions": (act_dim,), "rewards": (),
                  "next_observations": (obs_dim,), "terminals": ()}
        self.online = {name: torch.zeros(n_members, capacity, *w, device=device) for name, w in widths.items()}
        self.capacity, self.size, self.position, self.fifo, self.device = capacity, 0, 0, fifo, device
        self.members = torch.arange(n_members, device=device).unsqueeze(1)

    def __len__(self) -> int:
        return self.n_offline + self.size

    def add(self, **transition: torch.Tensor) -> None:
        """One transition per seed: each field [K, ...]."""
        self.extend({name: transition[name].unsqueeze(1) for name in FIELDS})

    def extend(self, transitions: dict[str, torch.Tensor]) -> None:
        """N transitions per seed: each field [K, N, ...]; a FIFO buffer overwrites its oldest ones when full."""
        n = transitions["rewards"].shape[1]
        if not self.fifo and self.size + n > self.capacity:
            raise RuntimeError(f"replay buffer full ({self.capacity} online transitions per seed)")
        keep = min(n, self.capacity)   # of more than capacity new transitions, the newest fit
        slots = (self.position + torch.arange(n - keep, n, device=self.device)) % self.capacity
        for name in FIELDS:
            self.online[name][:, slots] = transitions[name][:, n - keep:].to(self.device)
        self.position = (self.position + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, generators: Sequence[torch.Generator], batch_size: int) -> dict[str, torch.Tensor]:
        """[K, B, ...] per field; seed k's indices come from generators[k] only."""
        idx = sample_indices(generators, len(self), batch_size, self.device)
        online_idx = (idx - self.n_offline).clamp(min=0)
        batch = {name: self.online[name][self.members, online_idx] for name in FIELDS}
        if self.offline is not None:
            is_offline = idx < self.n_offline
            for name in FIELDS:
                offline = self.offline[name][idx.clamp(max=self.n_offline - 1)]
                mask = is_offline.view(*is_offline.shape, *([1] * (offline.dim() - 2)))
                batch[name] = torch.where(mask, offline, batch[name])
        return batch

    def state_dict(self) -> dict:
        return {"size": self.size, "position": self.position,
                # clone: saving a slice would save the whole preallocated storage (110 MB at step 5k of 1M)
                "online": {name: t[:, :self.size].cpu().clone() for name, t in self.online.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.size, self.position = state["size"], state["position"]
        for name, t in state["online"].items():
            self.online[name][:, :self.size] = t.to(self.device)
