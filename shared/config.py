"""Load and validate the pipeline configuration; resolve each paper's settings for the active scale.

config/config.yaml (validated against config/schema.yaml) chooses the scale; config/papers/<name>.yaml holds
one mapping per scale. The resolved config has config[<paper>] = that paper's mapping for the active scale and
config["data"] = the data-generation mapping merged with the top-level data settings.
"""
from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "config" / "schema.yaml"
PAPER_CONFIGS = REPO / "config" / "papers"


class ConfigError(ValueError):
    """A bad configuration value; the message is one line naming it."""


def validate(config: dict) -> None:
    schema = yaml.safe_load(SCHEMA.read_text())
    try:
        jsonschema.validate(config, schema)
    except jsonschema.ValidationError as err:
        where = ".".join(str(p) for p in err.absolute_path) or "<top level>"
        raise ConfigError(f"config error at '{where}': {err.message}") from None


def scale_settings(name: str, scale: str) -> dict:
    """The mapping of `scale` in config/papers/<name>.yaml ({} when the file does not exist yet)."""
    path = PAPER_CONFIGS / f"{name}.yaml"
    if not path.exists():
        return {}
    profiles = yaml.safe_load(path.read_text()) or {}
    if scale not in profiles:
        raise ConfigError(f"config error: {path.relative_to(REPO)} has no '{scale}' section")
    return copy.deepcopy(profiles[scale])


def resolve(config: dict) -> dict:
    """Validate `config` and return it with every paper's settings for the active scale filled in."""
    validate(config)
    resolved = copy.deepcopy(config)
    scale = resolved["scale"]
    resolved["data"] = {**scale_settings("data", scale), **resolved["data"]}
    resolved["data_root"] = resolved["data"]["root"]
    resolved["model"] = scale_settings("model", scale)   # dynamics models shared by COMBO and DROMO
    for paper in resolved["papers"]:
        resolved[paper] = {**scale_settings(paper, scale), **resolved.get(paper, {})}
    return resolved
