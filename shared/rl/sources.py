"""Where the training loop's minibatches come from (the DataSource protocol of shared/rl/protocol.py).

  FixedDataset   a fixed offline dataset (Transitions), every seed sampling it with its own stream
  OnlineBuffer   an environment per seed, stepped once before every update, into a replay buffer that may be
                 pre-filled with an offline dataset (offline-to-online fine-tuning, online RL from scratch)
  ModelMixture   real data plus a per-seed FIFO buffer of model rollouts, a fraction f of every batch real
                 (COMBO's f); the rollouts come from a callback the paper supplies

Every source normalises raw environment observations as its training data was normalised (`normalise`), feeds
the stale-checkpoint guard with what its data depend on (`fingerprint`) and saves its whole state.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from shared.nets import member_randn, sample_indices
from shared.rl import streams
from shared.rl.buffers import FIELDS, ReplayBuffer
from shared.rl.envs import SeedEnvs

STATE_EPS = 1e-3          # std + 1e-3, as TD3+BC / IQL / DMG normalise states


@dataclass
class Transitions:
    """Training tensors on the device, states normalised and rewards transformed as the algorithm expects them."""

    observations: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_observations: torch.Tensor
    terminals: torch.Tensor
    obs_mean: torch.Tensor        # applied to evaluation observations too
    obs_std: torch.Tensor         # includes STATE_EPS

    def __len__(self) -> int:
        return self.observations.shape[0]

    def sample(self, indices: torch.Tensor) -> dict[str, torch.Tensor]:
        """indices [K, B] -> batch of [K, B, ...] tensors."""
        return {name: getattr(self, name)[indices] for name in FIELDS}

    def normalise(self, obs) -> torch.Tensor:
        """Raw observations (array or tensor) -> normalised tensor on the data's device."""
        obs = torch.as_tensor(obs, dtype=torch.float32, device=self.obs_mean.device)
        return (obs - self.obs_mean) / self.obs_std

    def fields(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name) for name in FIELDS}

    def fingerprint(self, digest) -> None:
        for name in (*FIELDS, "obs_mean", "obs_std"):
            digest.update(getattr(self, name).detach().cpu().contiguous().numpy().tobytes())


def prepare_transitions(dataset, normalize_states: bool, reward_scale: float = 1.0, reward_shift: float = 0.0,
                        device: str = "cpu") -> Transitions:
    """r <- reward_scale * r + reward_shift (AntMaze: shift -1); states standardised with the dataset's
    mean and std + 1e-3 when `normalize_states` (identity otherwise). The tensors live on `device`."""
    obs = dataset.observations.to(device)
    if normalize_states:
        mean, std = dataset.obs_mean.to(device), dataset.obs_std.to(device) + STATE_EPS
    else:
        mean, std = torch.zeros(obs.shape[1], device=device), torch.ones(obs.shape[1], device=device)
    return Transitions(
        observations=(obs - mean) / std,
        actions=dataset.actions.to(device),
        rewards=dataset.rewards.to(device) * reward_scale + reward_shift,
        next_observations=(dataset.next_observations.to(device) - mean) / std,
        terminals=dataset.terminals.to(device),
        obs_mean=mean, obs_std=std,
    )


class FixedDataset:
    """A fixed dataset, resident on its device; member k's minibatch indices come from its own stream."""

    warmup_steps = 0

    def __init__(self, data: Transitions, seeds: Sequence[int], stream: str = "offline_sampling"):
        self.data = data
        self.generators = streams.generators(stream, seeds, data.observations.device)

    def before_update(self, step: int, algo) -> None:
        """Nothing: the data are fixed."""

    def sample(self, batch_size: int) -> dict[str, torch.Tensor]:
        return self.data.sample(sample_indices(self.generators, len(self.data), batch_size,
                                               self.data.observations.device))

    def normalise(self, obs) -> torch.Tensor:
        return self.data.normalise(obs)

    def stats(self) -> dict[str, torch.Tensor]:
        return {}

    def fingerprint(self, digest) -> None:
        self.data.fingerprint(digest)

    def state_dict(self) -> dict:
        return {"generators": streams.get_states(self.generators)}

    def load_state_dict(self, state: dict) -> None:
        streams.set_states(self.generators, state["generators"])


@dataclass
class OnlineTask:
    """What turns raw environment data into what the algorithm trains on: the env, its action bound, the state
    normalisation and reward transform of the offline data (identity for online RL from scratch)."""

    env_id: str
    max_action: float
    obs_mean: torch.Tensor
    obs_std: torch.Tensor
    reward_scale: float = 1.0
    reward_shift: float = 0.0

    def normalise(self, obs) -> torch.Tensor:
        obs = torch.as_tensor(obs, dtype=torch.float32, device=self.obs_mean.device)
        return (obs - self.obs_mean) / self.obs_std

    def reward(self, rewards: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(rewards, dtype=torch.float32) * self.reward_scale + self.reward_shift


def uniform_actions(generators, act_dim: int, max_action: float) -> torch.Tensor:
    """U(-max_action, max_action) per member, member k from generators[k]: warm-up actions. -> [K, 1, act_dim]"""
    return torch.stack([(torch.rand(1, act_dim, generator=g) * 2 - 1) * max_action for g in generators])


class GaussianExploration:
    """a = clip(pi(s) + N(0, (noise * max_action)^2)), after `uniform_steps` steps of U(-max_action, max_action):
    TD3's and DMG's exploration (authors' code). Member k's noise comes from its own exploration stream."""

    def __init__(self, seeds: Sequence[int], noise: float, act_dim: int, uniform_steps: int = 0):
        self.noise, self.act_dim, self.uniform_steps = noise, act_dim, uniform_steps
        self.generators = streams.generators("exploration", seeds)

    def __call__(self, algo, obs: torch.Tensor, step: int, max_action: float) -> torch.Tensor:
        """Actions [K, 1, act] for observations [K, 1, obs] at online step `step` (1-based)."""
        if step <= self.uniform_steps:
            return uniform_actions(self.generators, self.act_dim, max_action)
        action = algo.act(obs)
        action = action + member_randn(self.generators, action.shape[1:], action.device) * (self.noise * max_action)
        return action.clamp(-max_action, max_action)

    def state_dict(self) -> dict:
        return {"generators": streams.get_states(self.generators)}

    def load_state_dict(self, state: dict) -> None:
        streams.set_states(self.generators, state["generators"])


class PolicySampling:
    """Explore by sampling the algorithm's own stochastic policy (IQL, SAC): algo.act(obs, deterministic=False),
    whose noise stream is the algorithm's; before that, `uniform_steps` steps of uniform actions from the
    exploration stream (SAC's warm-up)."""

    def __init__(self, seeds: Sequence[int] = (), act_dim: int = 0, uniform_steps: int = 0):
        self.act_dim, self.uniform_steps = act_dim, uniform_steps
        self.generators = streams.generators("exploration", seeds)

    def __call__(self, algo, obs: torch.Tensor, step: int, max_action: float) -> torch.Tensor:
        if step <= self.uniform_steps:
            return uniform_actions(self.generators, self.act_dim, max_action)
        return algo.act(obs, deterministic=False)

    def state_dict(self) -> dict:
        return {"generators": streams.get_states(self.generators)}

    def load_state_dict(self, state: dict) -> None:
        streams.set_states(self.generators, state["generators"])


class OnlineBuffer:
    """One environment per seed, stepped once before every update; transitions go to a K-seed replay buffer that
    holds `offline` (if given) first. The first `warmup_steps` steps only collect (no update)."""

    def __init__(self, task: OnlineTask, seeds: Sequence[int], capacity: int, explore,
                 offline: Transitions | None = None, warmup_steps: int = 0, device: str | torch.device = "cpu"):
        self.task, self.explore, self.warmup_steps, self.data = task, explore, warmup_steps, offline
        self.envs = SeedEnvs(task.env_id, streams.env_seeds("env_reset", seeds))
        obs_dim, act_dim = self.envs.obs.shape[1], self.envs.action_space.shape[0]
        self.buffer = ReplayBuffer(offline.fields() if offline is not None else None, len(seeds), capacity,
                                   obs_dim, act_dim, device)
        self.generators = streams.generators("online_sampling", seeds, device)
        self.timeouts = np.zeros((len(seeds), capacity), np.float32)   # episode cut by the time limit

    def before_update(self, step: int, algo) -> None:
        """One environment step per seed with the exploration policy; the transition goes to the buffer."""
        obs = self.task.normalise(self.envs.obs)                                       # [K, obs]
        self.step_with(self.explore(algo, obs.unsqueeze(1), step, self.task.max_action).squeeze(1), obs)

    def step_with(self, action: torch.Tensor, obs: torch.Tensor | None = None) -> None:
        """Step every seed's environment with `action` [K, act] and store the transitions; `obs` is the current
        normalised observation when the caller has it (a carried behaviour training is rebuilt by replaying its
        actions through here: shared/data/carry.py)."""
        obs = self.task.normalise(self.envs.obs) if obs is None else obs
        action = torch.nan_to_num(action.cpu())                                        # diverged seeds: NaN
        next_obs, rewards, terminated, truncated = self.envs.step(action.numpy())
        self.timeouts[:, self.buffer.size] = truncated
        self.buffer.add(observations=obs, actions=action, rewards=self.task.reward(rewards),
                        next_observations=self.task.normalise(next_obs),
                        terminals=torch.as_tensor(terminated).float())

    def replay_arrays(self, member: int) -> dict[str, np.ndarray]:
        """Member `member`'s online transitions in arrival order, timeouts included (the D4RL replay fields)."""
        arrays = {name: t[member, :self.buffer.size].cpu().numpy() for name, t in self.buffer.online.items()}
        return {**arrays, "timeouts": self.timeouts[member, :self.buffer.size].copy()}

    def sample(self, batch_size: int) -> dict[str, torch.Tensor]:
        return self.buffer.sample(self.generators, batch_size)

    def normalise(self, obs) -> torch.Tensor:
        return self.task.normalise(obs)

    def stats(self) -> dict[str, torch.Tensor]:
        """The return of each seed's latest finished training episode (NaN before the first)."""
        return {"episode_return": torch.as_tensor(self.envs.last_return)}

    def fingerprint(self, digest) -> None:
        digest.update(repr((self.task.env_id, self.task.max_action, self.task.reward_scale, self.task.reward_shift,
                            self.buffer.capacity, self.warmup_steps, type(self.explore).__name__,
                            getattr(self.explore, "noise", None))).encode())
        digest.update(self.task.obs_mean.cpu().numpy().tobytes() + self.task.obs_std.cpu().numpy().tobytes())
        if self.data is not None:
            self.data.fingerprint(digest)

    def state_dict(self) -> dict:
        return {"buffer": self.buffer.state_dict(), "envs": self.envs.state_dict(),
                "sampling": streams.get_states(self.generators), "explore": self.explore.state_dict(),
                "timeouts": self.timeouts[:, :self.buffer.size].copy()}

    def load_state_dict(self, state: dict) -> None:
        self.buffer.load_state_dict(state["buffer"])
        self.timeouts[:, :self.buffer.size] = state["timeouts"]
        self.envs.load_state_dict(state["envs"])
        streams.set_states(self.generators, state["sampling"])
        self.explore.load_state_dict(state["explore"])


# rollout(step, algo) -> {field: [K, N, ...]}: N new model transitions per member, already normalised / transformed.
Rollout = Callable[[int, object], dict[str, torch.Tensor]]


class ModelMixture:
    """Batches of round(real_fraction * B) real transitions and the rest from a per-seed FIFO buffer of model
    rollouts. Before update t with (t - 1) % rollout_every == 0, `rollout(t, algo)` adds new transitions."""

    warmup_steps = 0

    def __init__(self, real: FixedDataset, seeds: Sequence[int], real_fraction: float, rollout: Rollout,
                 rollout_every: int, capacity: int):
        if not 0.0 <= real_fraction <= 1.0:
            raise ValueError(f"real_fraction must be in [0, 1], got {real_fraction}")
        if rollout_every < 1 or capacity < 1:
            raise ValueError(f"rollout_every and capacity must be >= 1, got {rollout_every}, {capacity}")
        self.data = data = real.data
        self.real, self.real_fraction, self.rollout, self.rollout_every = real, real_fraction, rollout, rollout_every
        device = data.observations.device
        self.model = ReplayBuffer(None, len(seeds), capacity, data.observations.shape[1], data.actions.shape[1],
                                  device, fifo=True)
        self.generators = streams.generators("model_sampling", seeds, device)

    def before_update(self, step: int, algo) -> None:
        if (step - 1) % self.rollout_every == 0:
            self.model.extend(self.rollout(step, algo))

    def sample(self, batch_size: int) -> dict[str, torch.Tensor]:
        n_real = round(self.real_fraction * batch_size)
        if n_real < batch_size and self.model.size == 0:
            raise RuntimeError("model buffer is empty: the rollout callback added no transitions")
        parts = []
        if n_real:
            parts.append(self.real.sample(n_real))
        if n_real < batch_size:
            parts.append(self.model.sample(self.generators, batch_size - n_real))
        return {name: torch.cat([p[name] for p in parts], dim=1) for name in FIELDS}

    def normalise(self, obs) -> torch.Tensor:
        return self.real.normalise(obs)

    def stats(self) -> dict[str, torch.Tensor]:
        return {}

    def fingerprint(self, digest) -> None:
        self.real.fingerprint(digest)
        digest.update(repr((self.real_fraction, self.rollout_every, self.model.capacity)).encode())

    def state_dict(self) -> dict:
        return {"real": self.real.state_dict(), "model": self.model.state_dict(),
                "generators": streams.get_states(self.generators)}

    def load_state_dict(self, state: dict) -> None:
        self.real.load_state_dict(state["real"])
        self.model.load_state_dict(state["model"])
        streams.set_states(self.generators, state["generators"])
