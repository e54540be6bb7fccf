"""Pieces of online training with K seeds in one process: one environment per seed, and a replay buffer that
holds an offline dataset (shared by every seed) followed by each seed's own online transitions.

Both save and restore their full state, so a killed fine-tuning job resumes exactly where it stopped.
"""
from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import mujoco
import numpy as np
import torch

from shared.nets import sample_indices

FIELDS = ("observations", "actions", "rewards", "next_observations", "terminals")
PHYSICS_STATE = mujoco.mjtState.mjSTATE_INTEGRATION  # everything mj_step reads: resuming is bit-exact


class SeedEnvs:
    """One environment per seed, stepped in lockstep. An episode ends when the MDP terminates or at the
    environment's time limit; only termination stops bootstrapping (the authors' done_bool)."""

    def __init__(self, env_id: str, reset_seeds: Sequence[int]):
        try:
            spec = gym.spec(env_id)
            self.envs = [gym.make(env_id, disable_env_checker=True).unwrapped for _ in reset_seeds]
        except gym.error.Error as err:
            raise SystemExit(f"cannot make environment {env_id!r}: {err}") from None
        if not all(hasattr(env, "model") and hasattr(env, "data") for env in self.envs):
            raise SystemExit(f"environment {env_id!r} is not a MuJoCo environment; online training needs one")
        if not isinstance(self.envs[0].observation_space, gym.spaces.Box):
            raise SystemExit(f"environment {env_id!r} has {type(self.envs[0].observation_space).__name__} "
                             f"observations; online training supports flat Box observations only")
        self.max_episode_steps = spec.max_episode_steps or 1000
        self.action_space = self.envs[0].action_space
        self.obs = np.stack([env.reset(seed=int(s))[0] for env, s in zip(self.envs, reset_seeds)])
        self.episode_steps = np.zeros(len(self.envs), dtype=np.int64)
        self.episode_return = np.zeros(len(self.envs))
        self.last_return = np.full(len(self.envs), np.nan)  # return of each seed's latest finished episode

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step every env; returns (next_obs [K, obs], rewards [K], terminated [K]) of these transitions and
        resets the envs whose episode ended (self.obs then holds the first observation of the new episode)."""
        actions = np.clip(actions, self.action_space.low, self.action_space.high)
        next_obs, rewards, terminated = np.empty_like(self.obs), np.zeros(len(self.envs)), np.zeros(len(self.envs))
        for k, env in enumerate(self.envs):
            next_obs[k], rewards[k], term, trunc, _ = env.step(actions[k])
            terminated[k] = float(term)
            self.episode_steps[k] += 1
            self.episode_return[k] += rewards[k]
            if term or trunc or self.episode_steps[k] >= self.max_episode_steps:
                self.last_return[k] = self.episode_return[k]
                self.episode_steps[k], self.episode_return[k] = 0, 0.0
                self.obs[k] = env.reset()[0]
            else:
                self.obs[k] = next_obs[k]
        return next_obs, rewards, terminated

    def state_dict(self) -> dict:
        physics = []
        for env in self.envs:
            state = np.empty(mujoco.mj_stateSize(env.model, PHYSICS_STATE))
            mujoco.mj_getState(env.model, env.data, state, PHYSICS_STATE)
            physics.append(state)
        return {"physics": physics, "rng": [env.np_random.bit_generator.state for env in self.envs],
                "obs": self.obs.copy(), "episode_steps": self.episode_steps.copy(),
                "episode_return": self.episode_return.copy(), "last_return": self.last_return.copy()}

    def load_state_dict(self, state: dict) -> None:
        for env, physics, rng in zip(self.envs, state["physics"], state["rng"]):
            mujoco.mj_setState(env.model, env.data, physics, PHYSICS_STATE)
            env.np_random.bit_generator.state = rng
        for name in ("obs", "episode_steps", "episode_return", "last_return"):
            setattr(self, name, state[name].copy())


class ReplayBuffer:
    """Transitions for K seeds: an offline part [N, ...] every seed samples from, then each seed's online part
    [K, capacity, ...]. Sampling is uniform over both together (the authors pre-fill one buffer with the dataset)."""

    def __init__(self, offline: dict[str, torch.Tensor] | None, n_members: int, capacity: int, obs_dim: int,
                 act_dim: int, device: str | torch.device = "cpu"):
        self.offline = {name: offline[name].to(device) for name in FIELDS} if offline else None
        self.n_offline = len(offline["rewards"]) if offline else 0
        widths = {"observations": (obs_dim,), "actions": (act_dim,), "rewards": (),
                  "next_observations": (obs_dim,), "terminals": ()}
        self.online = {name: torch.zeros(n_members, capacity, *w, device=device) for name, w in widths.items()}
        self.capacity, self.size, self.device = capacity, 0, device
        self.members = torch.arange(n_members, device=device).unsqueeze(1)

    def __len__(self) -> int:
        return self.n_offline + self.size

    def add(self, **transition: torch.Tensor) -> None:
        """One transition per seed: each field [K, ...]."""
        if self.size >= self.capacity:
            raise RuntimeError(f"replay buffer full ({self.capacity} online transitions per seed)")
        for name in FIELDS:
            self.online[name][:, self.size] = transition[name].to(self.device)
        self.size += 1

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
        return {"size": self.size, "online": {name: t[:, :self.size].cpu() for name, t in self.online.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.size = state["size"]
        for name, t in state["online"].items():
            self.online[name][:, :self.size] = t.to(self.device)
