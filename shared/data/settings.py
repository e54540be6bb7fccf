"""Data-generation settings of one scale (config/papers/data.yaml), validated into typed objects."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from shared.config import ConfigError, settings
from shared.data.behaviour import BehaviourSettings
from shared.data.catalog import LOCOMOTION
from shared.rl.sac import SACConfig

ROLLOUT_LEVELS = ("random", "medium", "expert")
# Committed behaviour artifacts, so the default pipeline need not train SAC.
PINNED_DIR = Path(__file__).resolve().parent / "pinned"
SAC_FIELDS = tuple(f.name for f in fields(SACConfig))


@dataclass(frozen=True)
class DataSettings:
    scale: str
    envs: tuple[str, ...]
    sac: BehaviourSettings
    medium_bands: dict[str, tuple[float, float]]   # per env
    transitions: dict[str, int]
    rollout_envs: int
    seed: int
    device: str = "cpu"  # of the SAC networks while training behaviour policies
    behaviour: str = ""  # name of the behaviour policies' folder (data/behaviour/<name>/) and pins; "" = the scale
    agent: SACConfig = SACConfig()   # the behaviour SAC's hyperparameters
    agent_source: str = "shared/rl/sac.py SACConfig defaults"

    @property
    def behaviour_name(self) -> str:
        return self.behaviour or self.scale

    def medium_band(self, env: str) -> tuple[float, float]:
        return self.medium_bands[env]

    @classmethod
    def from_mapping(cls, scale: str, mapping: dict) -> "DataSettings":
        try:
            envs = tuple(mapping["envs"])
            unknown = [e for e in envs if e not in LOCOMOTION]
            if unknown:
                raise SystemExit(f"data config ({scale}): unknown envs {unknown}, "
                                 f"expected some of {sorted(LOCOMOTION)}")
            transitions = {level: int(mapping["transitions"][level]) for level in ROLLOUT_LEVELS}
            if min(transitions.values()) < 1 or int(mapping["rollout_envs"]) < 1:
                raise SystemExit(f"data config ({scale}): transitions and rollout_envs must be >= 1")
            agent, source = _agent(scale, mapping.get("agent"))
            return cls(scale, envs, BehaviourSettings(**mapping["sac"]), _bands(scale, mapping["medium_band"], envs),
                       transitions, int(mapping["rollout_envs"]), int(mapping["seed"]),
                       str(mapping.get("device", "cpu")), str(mapping.get("behaviour", "")), agent, source)
        except (KeyError, TypeError, ValueError) as err:
            raise SystemExit(f"data config ({scale}): missing or malformed setting {err}") from None


def _bands(scale: str, band, envs: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """One [low, high] for every env, or a mapping env -> [low, high] covering every env."""
    per_env = band if isinstance(band, dict) else {env: band for env in envs}
    missing = [e for e in envs if e not in per_env]
    if missing:
        raise SystemExit(f"data config ({scale}): medium_band has no band for {missing}")
    bands = {}
    for env in envs:
        low, high = (float(v) for v in per_env[env])
        if low > high:
            raise SystemExit(f"data config ({scale}): medium_band of {env} [{low}, {high}] is empty")
        bands[env] = (low, high)
    return bands


def _agent(scale: str, mapping) -> tuple[SACConfig, str]:
    """The behaviour SAC's hyperparameters: `agent` lists them with their `source`; without it, SACConfig's
    defaults (the tiny scale trains with them)."""
    if mapping is None:
        return SACConfig(), DataSettings.agent_source
    values = dict(mapping)
    source = values.pop("source", None)
    if not source:
        raise SystemExit(f"data config ({scale}): agent needs a `source` saying where its values come from")
    unknown = sorted(set(values) - set(SAC_FIELDS))
    if unknown:
        raise SystemExit(f"data config ({scale}): unknown agent settings {unknown}, expected some of "
                         f"{list(SAC_FIELDS)}")
    if "hidden" in values:
        values["hidden"] = tuple(int(h) for h in values["hidden"])
    return SACConfig(**values), str(source)


def load_settings(scale: str, overrides: dict | None = None) -> DataSettings:
    """The settings of `scale` from config/papers/data.yaml with `overrides` (the pipeline's resolved values)
    merged in, validated by config/schema/data.yaml."""
    try:
        mapping = settings("data", scale, overrides)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    return DataSettings.from_mapping(scale, mapping)


def behaviour_dir(root: str | Path, name: str, env: str) -> Path:
    """data/behaviour/<name>/<env>/; `name` is DataSettings.behaviour_name (the scale unless set)."""
    return Path(root) / "behaviour" / name / env
