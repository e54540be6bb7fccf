"""What shared/data/rules.smk computes from the config (kept out of the rules file, so it holds rules only): the
settings each data job gets and the inputs of a behaviour policy and of a dataset."""
from __future__ import annotations

import json

from shared.data import dataset_target
from shared.data.settings import PINNED_DIR


def behaviour_settings(data: dict) -> str:
    """The resolved settings a behaviour job uses, as JSON (so --config overrides reach it, and a change re-runs
    exactly it)."""
    return json.dumps({key: data[key] for key in ("behaviour", "sac", "agent", "medium_band", "device") if key in data})


def dataset_settings(data: dict) -> str:
    return json.dumps({key: data[key] for key in ("medium_band", "transitions", "rollout_envs", "seed")})


def gpus(data: dict) -> int:
    return 1 if str(data.get("device", "cpu")).startswith("cuda") else 0


def pinned_behaviour(behaviour: str, env: str) -> list[str]:
    """Committed artifacts are an input, so re-pinned ones are installed again."""
    manifest = PINNED_DIR / behaviour / env / "behaviour.json"
    return [str(manifest)] if manifest.exists() else []


def dataset_inputs(root: str, behaviour_pattern: str, env: str, level: str) -> list[str]:
    """random: none; medium-expert: the medium and expert datasets; any other level: the env's behaviour policy."""
    if level == "random":
        return []
    if level == "medium-expert":
        return [dataset_target(f"{env}-{part}", "generated", root) for part in ("medium", "expert")]
    return [behaviour_pattern.format(env=env)]
