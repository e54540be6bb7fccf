"""Write one generated dataset (the second half of the D4RL recipe) from the trained behaviour policies.

  random         uniformly random actions
  medium         the first checkpoint whose score is inside the scale's medium band
  expert         the best checkpoint
  medium-replay  the SAC replay buffer up to (and including) the medium checkpoint's step
  medium-expert  the medium dataset followed by the expert dataset (read from disk: they are its inputs)
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from shared.data.behaviour import load_actor, stochastic_policy
from shared.data.catalog import generated_env_id, generated_id, parse_locomotion_name
from shared.data.episodes import Episode, content_hash, flatten, split_transitions
from shared.data.minari_io import dataset_dir, read_episodes, read_metadata, write_dataset
from shared.data.rollout import collect, uniform_random_policy
from shared.evaluate import normalized_score
from shared.data.settings import DataSettings, behaviour_dir

SCORE_LABEL = "D4RL-style normalised (D4RL reference returns on generated Gymnasium v5 data)"
LEVEL_SEED_OFFSET = {"random": 1000, "medium": 2000, "expert": 3000}


def select_checkpoints(checkpoints: list[dict], band: tuple[float, float]) -> dict:
    """Medium = first checkpoint scoring inside `band` (closest to the band when none does); expert = best."""
    if not checkpoints:
        raise SystemExit("behaviour manifest lists no checkpoints")
    low, high = band
    inside = [c for c in checkpoints if low <= c["normalized_score"] <= high]
    distance = lambda c: max(low - c["normalized_score"], c["normalized_score"] - high, 0.0)  # noqa: E731
    medium = inside[0] if inside else min(checkpoints, key=distance)
    expert = max(checkpoints, key=lambda c: c["normalized_score"])
    return {"medium_step": medium["step"], "medium_score": medium["normalized_score"],
            "medium_in_band": bool(inside), "expert_step": expert["step"],
            "expert_score": expert["normalized_score"], "medium_band": list(band)}


def read_manifest(directory: Path) -> dict:
    path = directory / "behaviour.json"
    if not path.exists():
        raise SystemExit(f"no behaviour policy at {path}: run `python -m shared.data behaviour --env "
                         f"{directory.name} --scale {directory.parent.name}` first")
    return json.loads(path.read_text())


def _replay_episodes(directory: Path, medium_step: int) -> list[Episode]:
    with np.load(directory / "replay.npz") as replay:
        arrays = {k: replay[k][:medium_step] for k in replay.files}
    return split_transitions(**arrays)


def generate_dataset(name: str, settings: DataSettings, root: str | Path) -> Path:
    start = time.perf_counter()
    parsed = parse_locomotion_name(name)
    env_id = generated_env_id(parsed.family)
    level = parsed.level
    provenance = {"source": "generated", "name": name, "env_id": env_id, "scale": settings.scale,
                  "recipe": f"D4RL recipe on {env_id}: {level}", "score_label": SCORE_LABEL}
    if level == "random":  # needs no behaviour policy
        episodes = collect(_random_policy(env_id, settings.seed + LEVEL_SEED_OFFSET[level]), env_id,
                           settings.transitions[level], settings.rollout_envs,
                           settings.seed + LEVEL_SEED_OFFSET[level], desc=name)
        provenance.update(_rollout_provenance(level, settings))
    elif level == "medium-expert":  # its parts are on disk: they are this dataset's inputs
        episodes = []
        for part in ("medium", "expert"):
            part_dir = dataset_dir(root, generated_id(f"{parsed.family.name}-{part}"))
            if not (part_dir / "data" / "main_data.hdf5").exists():
                raise SystemExit(f"{name} needs {part_dir}: generate {parsed.family.name}-{part} first")
            episodes += read_episodes(part_dir)
            part_provenance = read_metadata(part_dir)["provenance"]
            provenance[f"{part}_content_sha256"] = part_provenance["content_sha256"]
            provenance.update({k: part_provenance[k] for k in ("behaviour_seed", "behaviour_settings", "checkpoints")})
    else:
        directory = behaviour_dir(root, settings.scale, parsed.family.name)
        manifest = read_manifest(directory)
        selection = select_checkpoints(manifest["checkpoints"], settings.medium_band)
        provenance.update({"behaviour_seed": manifest["seed"], "behaviour_settings": manifest["settings"],
                           "checkpoints": selection})
        if level == "medium-replay":
            episodes = _replay_episodes(directory, selection["medium_step"])
            provenance["replay_steps"] = selection["medium_step"]
        else:
            seed = settings.seed + LEVEL_SEED_OFFSET[level]
            policies = torch.load(directory / "policies.pt", map_location="cpu", weights_only=False)
            policy = stochastic_policy(load_actor(policies, selection[f"{level}_step"]), seed)
            episodes = collect(policy, env_id, settings.transitions[level], settings.rollout_envs, seed, desc=name)
            provenance.update(_rollout_provenance(level, settings))
    transitions = flatten(episodes)
    returns = np.array([e.episode_return for e in episodes])
    provenance.update({"transitions": len(transitions["rewards"]), "episodes": len(episodes),
                       "episode_return_mean": float(returns.mean()),
                       "episode_normalized_mean": float(normalized_score(returns.mean(), parsed.family.ref_min_score,
                                                                         parsed.family.ref_max_score)),
                       "content_sha256": content_hash(transitions)})
    path = write_dataset(root, generated_id(name), episodes, env_id, parsed.family.ref_min_score,
                         parsed.family.ref_max_score, {"provenance": provenance},
                         description=f"{name} generated by the D4RL recipe on {env_id} ({settings.scale} scale)")
    seconds = time.perf_counter() - start
    print(f"{name}: {provenance['transitions']} transitions, {len(episodes)} episodes, normalised return "
          f"{provenance['episode_normalized_mean']:.1f}, {seconds:.1f} s ({provenance['transitions'] / seconds:.0f} "
          f"transitions/s) -> {path}", file=sys.stderr)
    return path


def _random_policy(env_id: str, seed: int):
    space = gym.make(env_id).action_space
    return uniform_random_policy(space.low, space.high, seed)


def _rollout_provenance(level: str, settings: DataSettings) -> dict:
    return {"rollout_seed": settings.seed + LEVEL_SEED_OFFSET[level], "rollout_envs": settings.rollout_envs,
            "rollout_policy": "uniform random actions" if level == "random" else "stochastic SAC policy"}
