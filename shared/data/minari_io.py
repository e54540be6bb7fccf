"""Write episodes as a local Minari dataset (atomically) and read a local Minari dataset back as episodes.

Layout (Minari's own): <root>/minari/<dataset id>/data/{main_data.hdf5, metadata.json}.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from shared.data.episodes import Episode
from shared.goal_observations import flatten_goal_observation


def minari_root(root: str | Path) -> Path:
    return Path(root) / "minari"


def dataset_dir(root: str | Path, dataset_id: str) -> Path:
    return minari_root(root) / dataset_id


@contextlib.contextmanager
def minari_datasets_path(path: Path):
    """Point Minari at `path` for the duration of a call (Minari reads the location from the environment)."""
    previous = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = previous


def write_dataset(root: str | Path, dataset_id: str, episodes: list[Episode], env_id: str,
                  ref_min_score: float, ref_max_score: float, metadata: dict, description: str) -> Path:
    """Create the Minari dataset in a staging folder, then move it into place: a killed job leaves no dataset
    that looks complete. Replaces an existing dataset of the same id. Returns the dataset's folder."""
    import minari
    from minari.data_collector import EpisodeBuffer

    buffers = [EpisodeBuffer(id=i, observations=e.observations, actions=e.actions, rewards=e.rewards,
                             terminations=e.terminations, truncations=e.truncations)
               for i, e in enumerate(episodes)]
    target = dataset_dir(root, dataset_id)
    minari_root(root).mkdir(parents=True, exist_ok=True)
    # Absolute: Minari mis-joins relative dataset paths when it measures the dataset's size.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=minari_root(root))).resolve()
    try:
        with minari_datasets_path(staging), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Minari nags about author/e-mail/permalink fields we leave empty
            dataset = minari.create_dataset_from_buffers(
                dataset_id, buffers, env=env_id, eval_env=env_id, algorithm_name="shared.data",
                ref_min_score=ref_min_score, ref_max_score=ref_max_score, description=description)
            dataset.storage.update_metadata(metadata)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            old = staging / "replaced"
            os.replace(target, old)
        os.replace(staging / dataset_id, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def read_metadata(path: Path) -> dict:
    from minari.dataset.minari_storage import MinariStorage
    return MinariStorage.read_raw_metadata(path / "data")


def read_episodes(path: Path) -> list[Episode]:
    """Every episode of the Minari dataset in folder `path`. Dict observations (AntMaze) are flattened in D4RL's
    order (shared/goal_observations.py), as the evaluation environments are."""
    from minari.dataset.minari_storage import MinariStorage
    storage = MinariStorage.read(path / "data")
    episodes = []
    for raw in storage.get_episodes(range(storage.total_episodes)):
        observations = raw["observations"]
        if isinstance(observations, dict):
            observations = flatten_goal_observation(observations)
        episodes.append(Episode(np.asarray(observations, np.float32), np.asarray(raw["actions"], np.float32),
                                np.asarray(raw["rewards"], np.float32), np.asarray(raw["terminations"], bool),
                                np.asarray(raw["truncations"], bool)))
    return episodes
