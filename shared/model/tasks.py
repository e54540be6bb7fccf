"""Datasets of the model-based papers by name: the locomotion datasets of shared.data, plus halfcheetah-jump.

halfcheetah-jump (MOPO's generalisation task, used by COMBO's Table 8): HalfCheetah data relabelled with
  r = -0.1 |a|^2 + min(v_x, 3) + 15 (z - z_init)
on the next state (z = obs[0] = root height, v_x = obs[8] = root x-velocity, z_init = 0, the model's initial
root height), evaluated in Gymnasium HalfCheetah-v5 with the same reward (env id HalfCheetahJump-v5). MOPO
relabels the replay buffer of a SAC run with its velocity capped at 3; ours relabels the generated
halfcheetah-medium-replay dataset (the replay buffer of the behaviour SAC up to its medium checkpoint).
Its scores are raw returns (the normalised score is the identity).
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

from shared.data import load_dataset
from shared.data.episodes import split_transitions

JUMP = "halfcheetah-jump"
JUMP_SOURCE_DATASET = "halfcheetah-medium-replay"
JUMP_ENV_ID = "HalfCheetahJump-v5"
MAX_VELOCITY, JUMP_WEIGHT, CTRL_WEIGHT, Z_INIT = 3.0, 15.0, 0.1, 0.0


def jump_reward(action, next_obs):
    """Works on numpy arrays and torch tensors alike ([..., act], [..., obs] -> [...])."""
    lib = torch if isinstance(next_obs, torch.Tensor) else np
    velocity = lib.clip(next_obs[..., 8], None, MAX_VELOCITY) if lib is np else next_obs[..., 8].clamp(max=MAX_VELOCITY)
    return -CTRL_WEIGHT * (action ** 2).sum(-1) + velocity + JUMP_WEIGHT * (next_obs[..., 0] - Z_INIT)


class HalfCheetahJump(gym.Wrapper):
    def step(self, action):
        obs, _, terminated, truncated, info = self.env.step(action)
        return obs, float(jump_reward(np.asarray(action, dtype=np.float64), obs)), terminated, truncated, info


def make_jump_env(**kwargs) -> gym.Env:
    return HalfCheetahJump(gym.make("HalfCheetah-v5", **kwargs))


if JUMP_ENV_ID not in gym.registry:
    gym.register(JUMP_ENV_ID, entry_point="shared.model.tasks:make_jump_env", max_episode_steps=1000)


def env_family(name: str) -> str:
    """'hopper-medium' -> 'hopper'; 'halfcheetah-jump' -> 'halfcheetah_jump' (termination rule, settings)."""
    return "halfcheetah_jump" if name == JUMP else name.split("-", 1)[0]


def source_dataset(name: str) -> str:
    """The shared.data dataset a task's data come from (the Snakemake input of its model and runs)."""
    return JUMP_SOURCE_DATASET if name == JUMP else name


def load_task_dataset(name: str, source: str = "generated", root=None, device="cpu"):
    """shared.data.load_dataset, or for halfcheetah-jump the relabelled HalfCheetah data (raw-return scores,
    batch mean / max returns in metadata)."""
    if name != JUMP:
        return load_dataset(name, source=source, device=device, root=root)
    dataset = load_dataset(JUMP_SOURCE_DATASET, source=source, device=device, root=root)
    dataset.rewards = jump_reward(dataset.actions, dataset.next_observations).float()
    episodes = split_transitions(*(getattr(dataset, f).cpu().numpy() for f in
                                   ("observations", "actions", "rewards", "next_observations", "terminals",
                                    "timeouts")))
    returns = [e.episode_return for e in episodes]
    dataset.env_id = JUMP_ENV_ID
    dataset.metadata = {**dataset.metadata, "task": JUMP, "relabelled_from": JUMP_SOURCE_DATASET,
                        "ref_min_score": 0.0, "ref_max_score": 100.0,   # 100 * (R - 0) / 100 = R: raw returns
                        "batch_mean_return": float(np.mean(returns)), "batch_max_return": float(np.max(returns)),
                        "score_label": "raw return"}
    return dataset
