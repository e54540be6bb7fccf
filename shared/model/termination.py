"""Termination of model rollouts: each environment's own "unhealthy" rule on predicted (raw) next states.

Gymnasium v5 Hopper / Walker2d end an episode when the torso height obs[0] or angle obs[1] leaves its healthy
range (Hopper also when any other state is beyond +-100); HalfCheetah (and halfcheetah-jump) never terminates.
A non-finite prediction always terminates.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Termination = Callable[[Tensor], Tensor]   # next_obs [..., obs_dim] -> done [...] (bool)


def hopper(next_obs: Tensor) -> Tensor:
    height, angle = next_obs[..., 0], next_obs[..., 1]
    healthy = (next_obs[..., 1:].abs() < 100).all(-1) & (height > 0.7) & (angle.abs() < 0.2)
    return ~healthy


def walker2d(next_obs: Tensor) -> Tensor:
    height, angle = next_obs[..., 0], next_obs[..., 1]
    return ~((height > 0.8) & (height < 2.0) & (angle > -1.0) & (angle < 1.0))


def never(next_obs: Tensor) -> Tensor:
    return torch.zeros(next_obs.shape[:-1], dtype=torch.bool, device=next_obs.device)


TERMINATIONS: dict[str, Termination] = {"hopper": hopper, "walker2d": walker2d, "halfcheetah": never,
                                         "halfcheetah_jump": never}


def termination_for(env: str) -> Termination:
    """The rule of an environment family (the dataset name's prefix); non-finite states always terminate."""
    if env not in TERMINATIONS:
        raise ValueError(f"no termination rule for environment {env!r}: known {sorted(TERMINATIONS)}")
    rule = TERMINATIONS[env]
    return lambda next_obs: rule(next_obs) | ~torch.isfinite(next_obs).all(-1)
