"""Data-generation settings of one scale (config/papers/data.yaml), validated into typed objects."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.config import ConfigError, settings
from shared.data.behaviour import BehaviourSettings
from shared.data.catalog import LOCOMOTION

ROLLOUT_LEVELS = ("random", "medium", "expert")
# Committed behaviour artifacts (small at quick scale), so the default pipeline need not train SAC.
PINNED_DIR = Path(__file__).resolve().parent / "pinned"


@dataclass(frozen=True)
class DataSettings:
    scale: str
    envs: tuple[str, ...]
    sac: BehaviourSettings
    medium_band: tuple[float, float]
    transitions: dict[str, int]
    rollout_envs: int
    seed: int
    device: str = "cpu"  # of the SAC networks while training behaviour policies

    @classmethod
    def from_mapping(cls, scale: str, mapping: dict) -> "DataSettings":
        try:
            envs = tuple(mapping["envs"])
            unknown = [e for e in envs if e not in LOCOMOTION]
            if unknown:
                raise SystemExit(f"data config ({scale}): unknown envs {unknown}, "
                                 f"expected some of {sorted(LOCOMOTION)}")
            low, high = (float(v) for v in mapping["medium_band"])
            if low > high:
                raise SystemExit(f"data config ({scale}): medium_band [{low}, {high}] is empty")
            transitions = {level: int(mapping["transitions"][level]) for level in ROLLOUT_LEVELS}
            if min(transitions.values()) < 1 or int(mapping["rollout_envs"]) < 1:
                raise SystemExit(f"data config ({scale}): transitions and rollout_envs must be >= 1")
            return cls(scale, envs, BehaviourSettings(**mapping["sac"]), (low, high), transitions,
                       int(mapping["rollout_envs"]), int(mapping["seed"]), str(mapping.get("device", "cpu")))
        except (KeyError, TypeError) as err:
            raise SystemExit(f"data config ({scale}): missing or malformed setting {err}") from None


def load_settings(scale: str, overrides: dict | None = None) -> DataSettings:
    """The settings of `scale` from config/papers/data.yaml with `overrides` (the pipeline's resolved values)
    merged in, validated by config/schema/data.yaml."""
    try:
        mapping = settings("data", scale, overrides)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    return DataSettings.from_mapping(scale, mapping)


def behaviour_dir(root: str | Path, scale: str, env: str) -> Path:
    return Path(root) / "behaviour" / scale / env
