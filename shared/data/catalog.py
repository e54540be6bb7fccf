"""What datasets exist: D4RL-style short names, their environments, reference scores and source-specific ids."""
from __future__ import annotations

from dataclasses import dataclass

SOURCES = ("generated", "minari", "d4rl")
LOCOMOTION_LEVELS = ("random", "medium", "medium-replay", "expert", "medium-expert")
GENERATED_VERSION = "v0"
GENERATED_ID_PATTERN = "generated/{env}/{level}-" + GENERATED_VERSION


@dataclass(frozen=True)
class EnvFamily:
    name: str            # D4RL prefix: hopper, halfcheetah, walker2d
    gym_name: str        # Gymnasium MuJoCo name without version: Hopper
    ref_min_score: float  # D4RL infos.py REF_MIN_SCORE (random policy)
    ref_max_score: float  # D4RL infos.py REF_MAX_SCORE (expert policy)


# D4RL d4rl/infos.py reference returns (see ../shared/papers/REFERENCE_SCORES.md); used for generated and d4rl data.
LOCOMOTION = {
    "hopper": EnvFamily("hopper", "Hopper", -20.272305, 3234.3),
    "halfcheetah": EnvFamily("halfcheetah", "HalfCheetah", -280.178953, 12135.0),
    "walker2d": EnvFamily("walker2d", "Walker2d", 1.629008, 4592.3),
}

ANTMAZE_MAZES = ("umaze", "umaze-diverse", "medium-play", "medium-diverse", "large-play", "large-diverse")
MINARI_MUJOCO_LEVELS = ("simple", "medium", "expert")
D4RL_URLS = {  # D4RL infos.py; v0 names medium-replay "mixed" and its files carry no next_observations
    "v2": "https://rail.eecs.berkeley.edu/datasets/offline_rl/gym_mujoco_v2/{env}_{level}-v2.hdf5",
    "v0": "https://rail.eecs.berkeley.edu/datasets/offline_rl/gym_mujoco/{env}_{level}.hdf5",
}
D4RL_V0_LEVEL_NAMES = {"medium-replay": "mixed"}


@dataclass(frozen=True)
class DatasetName:
    family: EnvFamily
    level: str

    @property
    def short(self) -> str:
        return f"{self.family.name}-{self.level}"


def parse_locomotion_name(name: str) -> DatasetName:
    """'halfcheetah-medium-replay' -> (halfcheetah, medium-replay); SystemExit naming the bad part otherwise."""
    env, _, level = name.partition("-")
    if env not in LOCOMOTION or level not in LOCOMOTION_LEVELS:
        known = ", ".join(f"{e}-{lv}" for e in LOCOMOTION for lv in LOCOMOTION_LEVELS[:1])
        raise SystemExit(f"unknown dataset name {name!r}: expected <env>-<level> with env in "
                         f"{sorted(LOCOMOTION)} and level in {list(LOCOMOTION_LEVELS)} (e.g. {known})")
    return DatasetName(LOCOMOTION[env], level)


def generated_id(name: str) -> str:
    """Minari dataset id of a generated dataset: 'hopper-medium' -> 'generated/hopper/medium-v0'."""
    parsed = parse_locomotion_name(name)
    return GENERATED_ID_PATTERN.format(env=parsed.family.name, level=parsed.level)


def generated_env_id(family: EnvFamily) -> str:
    return f"{family.gym_name}-v5"


def parse_d4rl_name(name: str) -> tuple[DatasetName, str]:
    """'hopper-medium' -> (hopper, medium, 'v2'); a '-v0' / '-v2' suffix picks the D4RL version, and v0's
    'mixed' is medium-replay: 'hopper-mixed-v0' -> (hopper, medium-replay, 'v0')."""
    base, sep, version = name.rpartition("-")
    if not (sep and version in D4RL_URLS):
        base, version = name, "v2"
    env, _, level = base.partition("-")
    renamed = {old: new for new, old in D4RL_V0_LEVEL_NAMES.items()}
    return parse_locomotion_name(f"{env}-{renamed.get(level, level)}"), version


def d4rl_id(name: str) -> str:
    """Local Minari id of a converted D4RL dataset: 'hopper-medium' -> 'd4rl/hopper/medium-v2',
    'hopper-mixed-v0' -> 'd4rl/hopper/medium-replay-v0'."""
    parsed, version = parse_d4rl_name(name)
    return f"d4rl/{parsed.family.name}/{parsed.level}-{version}"


def d4rl_env_id(family: EnvFamily) -> str:
    """D4RL v2 data were collected on mujoco-py v3 envs; Gymnasium's v4 envs have the same dynamics."""
    return f"{family.gym_name}-v4"


def d4rl_url(name: str) -> str:
    parsed, version = parse_d4rl_name(name)
    level = D4RL_V0_LEVEL_NAMES.get(parsed.level, parsed.level) if version == "v0" else parsed.level
    return D4RL_URLS[version].format(env=parsed.family.name, level=level.replace("-", "_"))


def minari_id(name: str) -> str:
    """Remote Minari id for a short name, or the name itself when it is already a Minari id (contains '/').

    'hopper-medium' -> 'mujoco/hopper/medium-v0', 'antmaze-umaze-diverse' -> 'D4RL/antmaze/umaze-diverse-v1'.
    """
    if "/" in name:
        return name
    env, _, level = name.partition("-")
    if env == "antmaze" and level in ANTMAZE_MAZES:
        return f"D4RL/antmaze/{level}-v1"
    if env in LOCOMOTION and level in MINARI_MUJOCO_LEVELS:
        return f"mujoco/{env}/{level}-v0"
    raise SystemExit(f"no Minari dataset for {name!r}: Minari has mujoco/<env>/{{{','.join(MINARI_MUJOCO_LEVELS)}}}-v0 "
                     f"and D4RL/antmaze/<maze>-v1 (maze in {list(ANTMAZE_MAZES)}); use --source generated for "
                     f"{list(LOCOMOTION_LEVELS)}")


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise SystemExit(f"unknown data source {source!r}: expected one of {list(SOURCES)}")
    return source
