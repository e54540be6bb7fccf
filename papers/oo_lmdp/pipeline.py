"""What papers/oo_lmdp/rules.smk computes from config["oo_lmdp"] (kept out of the rules file, so it holds rules
only): which experiments each figure reads, and the settings one experiment's job gets."""
from __future__ import annotations

import json

TABLES = ("final.csv", "summary.csv", "curves.csv", "cells.csv", "timing.json")


def figure_sources(cfg: dict) -> dict[str, list[str]]:
    """figure -> the experiments whose outputs it reads."""
    sources: dict[str, list[str]] = {}
    for experiment, spec in cfg["experiments"].items():
        for figure in spec["figures"]:
            sources.setdefault(figure, []).append(experiment)
    return sources


def experiment_settings(cfg: dict, experiment: str) -> str:
    """The resolved settings one experiment uses (the model and its own spec), as JSON for --settings: a change
    re-runs exactly that experiment, and --config overrides reach it."""
    model = {key: value for key, value in cfg.items() if key != "experiments"}
    return json.dumps({**model, "experiments": {experiment: cfg["experiments"][experiment]}})
