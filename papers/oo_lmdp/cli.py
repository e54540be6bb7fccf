"""Helpers shared by the oo_lmdp entry points: single-threaded numerics, config loading, one-line errors."""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per job: parallelism comes from Snakemake jobs

from pathlib import Path  # noqa: E402

from shared.config import ConfigError, load_schema, load_yaml, validate  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "papers" / "oo_lmdp.yaml"
SCALES = ("tiny", "quick", "paper")


def load_scale(scale: str, path: Path = CONFIG) -> dict:
    """The oo_lmdp settings of one scale; SystemExit with one line on a bad scale, file or value."""
    if scale not in SCALES:
        raise SystemExit(f"--scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if not Path(path).is_file():
        raise SystemExit(f"config file not found: {path}")
    try:
        settings = (load_yaml(path) or {}).get(scale)
    except (ConfigError, AttributeError) as err:
        raise SystemExit(f"{path}: {err or 'expected a mapping of scales'}") from None
    if not isinstance(settings, dict) or "experiments" not in settings:
        raise SystemExit(f"{path}: no '{scale}' section with 'experiments'")
    return checked(settings, f"{Path(path).name} '{scale}'")


def checked(settings: dict, source: str) -> dict:
    """`settings` validated by config/schema/oo_lmdp.yaml; SystemExit with one line naming a bad key."""
    try:
        validate(settings, load_schema("oo_lmdp"), prefix="oo_lmdp", source=source)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    return settings


def experiment_spec(settings: dict, name: str) -> dict:
    experiments = settings["experiments"]
    if name not in experiments:
        raise SystemExit(f"--experiment must be one of {', '.join(experiments)}, got {name!r}")
    return dict(experiments[name])
