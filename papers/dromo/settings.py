"""From config/papers/dromo.yaml to the runs of the extension table: results/dromo/runs/<dataset>/<algo>/ with
algo combo | dromo (Eq. 13) | dromo_strict (Eq. 17), all on COMBO's per-dataset setting and the cached models."""
from __future__ import annotations

from shared.model import pipeline
from shared.model.tasks import env_family

METHOD_NAMES = {"combo": "COMBO", "dromo": "DROMO (Eq. 13)", "dromo_strict": "strict DROMO (Eq. 17)"}


def run_list(cfg: dict) -> list[tuple[str, str]]:
    return [(d, a) for d in cfg["extension"]["datasets"] for a in cfg["extension"]["algorithms"]]


def run_config(cfg: dict, dataset: str, algo: str, model_dir: str) -> dict:
    """Config fields of one run: COMBO's per-dataset setting, the scale's sizes, DROMO's knobs for DROMO."""
    if algo not in METHOD_NAMES:
        raise ValueError(f"unknown algorithm {algo!r}: expected one of {sorted(METHOD_NAMES)}")
    fields = dict(cfg["per_dataset"][dataset])
    fields.update({k: v for k, v in cfg["train"].items() if k != "batch_size"})
    fields.update({"env": env_family(dataset), "model_dir": model_dir})
    if algo != "combo":
        fields.update(cfg["dro"])
    return fields


def train_args(cfg: dict, config: dict, dataset: str, algo: str) -> str:
    """The command-line arguments of papers.dromo.train for one run (Snakemake's params)."""
    fields = run_config(cfg, dataset, algo, pipeline.model_dir(config, dataset, "{seed}"))
    return pipeline.train_args(config, algo, dataset, cfg["seeds"], cfg, fields)
