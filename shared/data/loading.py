"""load_dataset: a dataset name + source -> transitions as tensors on a device, with statistics and provenance."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from gymnasium.envs.registration import EnvSpec

from shared.data.catalog import check_source, d4rl_id, generated_id, minari_id
from shared.data.checks import check_transitions
from shared.data.episodes import content_hash, flatten
from shared.data.levels import level_check
from shared.data.minari_io import dataset_dir, read_episodes, read_metadata
from shared.evaluate import normalized_score
from shared.goal_observations import register_robotics_envs

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ROOT = REPO / "data"
FIELDS = ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")


@dataclass
class OfflineDataset:
    observations: torch.Tensor       # [N, obs_dim]
    actions: torch.Tensor            # [N, act_dim]
    rewards: torch.Tensor            # [N]
    next_observations: torch.Tensor  # [N, obs_dim]
    terminals: torch.Tensor          # [N] 1.0 where the MDP ended (no bootstrap)
    timeouts: torch.Tensor           # [N] 1.0 where the episode was cut (time limit / end of collection)
    obs_mean: torch.Tensor           # [obs_dim] over observations
    obs_std: torch.Tensor            # [obs_dim] raw standard deviation; callers add their own epsilon
    env_id: str                      # the Gymnasium id to evaluate on
    metadata: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rewards)

    def normalized_score(self, returns) -> np.ndarray:
        """100 * (R - ref_min) / (ref_max - ref_min) with this dataset's reference returns."""
        return normalized_score(returns, self.metadata["ref_min_score"], self.metadata["ref_max_score"])

    def summary(self) -> dict:
        return {"transitions": len(self), "episodes_ending_terminal": int(self.terminals.sum()),
                "episodes_ending_timeout": int(self.timeouts.sum()), "obs_dim": self.observations.shape[1],
                "act_dim": self.actions.shape[1], "reward_mean": float(self.rewards.mean()),
                "env_id": self.env_id, "level": level_check(self.metadata), "metadata": self.metadata}


def dataset_id(name: str, source: str) -> str:
    return {"generated": generated_id, "minari": minari_id, "d4rl": d4rl_id}[check_source(source)](name)


def dataset_target(name: str, source: str = "generated", root: str | Path = "data") -> str:
    """The file a Snakemake rule produces for this dataset (its Minari HDF5 file)."""
    return minari_file(root, dataset_id(name, source))


def minari_file(root: str | Path, minari_dataset_id: str) -> str:
    return str(dataset_dir(root, minari_dataset_id) / "data" / "main_data.hdf5")


MINARI_SCORE_LABEL = "Minari normalised (the dataset's own reference returns)"


def _env_id(raw_metadata: dict, provenance: dict) -> str:
    """The evaluation env: ours record it; Minari's remote datasets carry (eval_)env_spec JSON."""
    if "env_id" in provenance:
        return provenance["env_id"]
    for key in ("eval_env_spec", "env_spec"):
        if raw_metadata.get(key):
            return recorded_env(raw_metadata[key], raw_metadata.get("dataset_id") or "minari")
    return ""


def recorded_env(spec_json: str, minari_dataset_id: str) -> str:
    """The id that makes a Minari dataset's recorded env: its own id when the registered env takes the same
    arguments, else the recorded spec registered as '<dataset id, / as ->/<id>'. Minari's D4RL AntMaze datasets,
    for one, may fix the start and goal cells in their maze_map, which the registered AntMaze_* envs sample."""
    spec = EnvSpec.from_json(spec_json)
    register_robotics_envs(spec.id)
    if spec.id in gym.registry and (gym.spec(spec.id).kwargs, gym.spec(spec.id).max_episode_steps) == \
            (spec.kwargs, spec.max_episode_steps):
        return spec.id
    env_id = f"{minari_dataset_id.replace('/', '-')}/{spec.id}"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=spec.entry_point, max_episode_steps=spec.max_episode_steps,
                     kwargs=spec.kwargs)
    return env_id


def remake_command(name: str, source: str, root: str | Path) -> str:
    """The one command that deletes a dataset and makes it again."""
    path = dataset_dir(root, dataset_id(name, source))
    if source == "generated":
        again = f"snakemake --cores all {dataset_target(name, source, root)}"
    else:
        again = f"python -m shared.data fetch {name} --source {source} --root {root}"
    return f"rm -rf {path} && {again}"


def load_dataset(name: str, source: str = "generated", device: str | torch.device = "cpu",
                 root: str | Path | None = None) -> OfflineDataset:
    """Resolve `name` (e.g. 'hopper-medium-replay') from `source` to a local Minari dataset and load it.

    Missing minari/d4rl datasets are fetched; a missing generated dataset is an error naming the command
    that makes it. A dataset whose content no longer matches its recorded hash is an error."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    path = dataset_dir(root, dataset_id(name, source))
    if not (path / "data" / "main_data.hdf5").exists():
        if source == "generated":
            raise SystemExit(f"dataset {name!r} (generated) not found at {path}: make it with "
                             f"`snakemake --cores all {dataset_target(name, source, root)}` or "
                             f"`python -m shared.data generate {name}`")
        from shared.data.sources import fetch
        fetch(name, source, root)
    try:
        raw_metadata = read_metadata(path)
        episodes = read_episodes(path)
    except (OSError, KeyError, ValueError, AssertionError) as err:
        raise SystemExit(f"dataset {name!r} at {path} is unreadable or corrupted "
                         f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                         f"make it again: {remake_command(name, source, root)}") from None
    if not episodes:
        raise SystemExit(f"dataset {name!r} at {path} has no episodes")
    arrays = flatten(episodes)
    provenance = dict(raw_metadata.get("provenance", {}))
    actual = content_hash(arrays)
    if provenance.get("content_sha256", actual) != actual:
        raise SystemExit(f"dataset {name!r} at {path} does not match its recorded content hash (corrupted or "
                         f"edited); make it again: {remake_command(name, source, root)}")
    env_id = _env_id(raw_metadata, provenance)
    check_transitions(arrays, env_id, f"dataset {name!r} at {path}")
    metadata = {"source": source, "dataset_id": raw_metadata.get("dataset_id"), **provenance,
                "ref_min_score": raw_metadata.get("ref_min_score"), "ref_max_score": raw_metadata.get("ref_max_score"),
                "path": str(path)}
    metadata.setdefault("content_sha256", actual)
    metadata.setdefault("score_label", MINARI_SCORE_LABEL)
    tensors = {k: torch.as_tensor(arrays[k], device=device) for k in FIELDS}
    return OfflineDataset(**tensors, obs_mean=tensors["observations"].mean(0),
                          obs_std=tensors["observations"].std(0, unbiased=False),
                          env_id=env_id, metadata=metadata)
