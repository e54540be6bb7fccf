"""The behaviour SAC's replay buffer on disk (replay.npz), in full or compacted for pinning.

Full: the D4RL replay fields, one row per transition. Compact (lossless): inside an episode a transition's next
observation is the next row's observation, so next observations are stored only where an episode ends (terminal,
timeout, or the last stored row), and terminals / timeouts as booleans. Float32 values are kept exactly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

FLAGS = ("terminals", "timeouts")


def compact(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The compact form of full replay arrays; refuses (SystemExit) arrays it could not restore exactly."""
    obs, next_obs = arrays["observations"], arrays["next_observations"]
    ends = np.flatnonzero(np.logical_or(arrays["terminals"], arrays["timeouts"]) | (np.arange(len(obs)) == len(obs) - 1))
    packed = {"observations": obs, "actions": arrays["actions"], "rewards": arrays["rewards"],
              "end_indices": ends.astype(np.int64), "end_next_observations": next_obs[ends]}
    for flag in FLAGS:
        if not np.isin(arrays[flag], (0.0, 1.0)).all():
            raise SystemExit(f"replay {flag} hold values other than 0 and 1: cannot store them as booleans")
        packed[flag] = arrays[flag].astype(bool)
    restored = expand(packed)
    if any(not np.array_equal(restored[k], arrays[k]) or restored[k].dtype != arrays[k].dtype for k in arrays):
        raise SystemExit("replay next observations differ from the following observations inside an episode: "
                         "the compact form would not be faithful")
    return packed


def expand(packed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Full replay arrays from their compact form."""
    obs = packed["observations"]
    next_obs = np.empty_like(obs)
    next_obs[:-1] = obs[1:]
    next_obs[packed["end_indices"]] = packed["end_next_observations"]
    return {"observations": obs, "actions": packed["actions"], "rewards": packed["rewards"],
            "next_observations": next_obs, **{flag: packed[flag].astype(np.float32) for flag in FLAGS}}


def read_replay(directory: Path, steps: int) -> dict[str, np.ndarray]:
    """The first `steps` transitions of <directory>/replay.npz (either form) as full arrays."""
    with np.load(directory / "replay.npz") as replay:
        arrays = {k: replay[k] for k in replay.files}
    if "end_indices" in arrays:
        arrays = expand(arrays)
    if len(arrays["actions"]) < steps:
        raise SystemExit(f"{directory / 'replay.npz'} holds {len(arrays['actions'])} transitions, {steps} needed")
    return {k: v[:steps] for k, v in arrays.items()}
