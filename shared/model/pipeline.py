"""What the Snakemake rules of the model-based papers compute from the config: where a cached dynamics model
lives, and the command-line arguments of model fits and training runs (shared/model/rules.smk and the papers'
rules.smk call these with the resolved Snakemake config)."""
from __future__ import annotations

import shlex

from shared.data import dataset_target
from shared.model.tasks import source_dataset
from shared.rl.device import pipeline_device

def model_runs(config: dict) -> str:
    """The folder of every cached model of the active scale (config["results"]: the scale's output root)."""
    return f"{config['results']}/models/runs"


def model_dir(config: dict, dataset: str, seed) -> str:
    """The directory of one (dataset, seed) model; seed '{seed}' gives the pattern model_dir settings take."""
    return f"{model_runs(config)}/{dataset}/seed{seed}"


def model_target(config: dict, dataset: str, seed) -> str:
    return f"{model_dir(config, dataset, seed)}/model.pt"


def dataset_file(config: dict, dataset: str) -> str:
    return dataset_target(source_dataset(dataset), config["data"]["source"], config["data_root"])


def model_fit_args(config: dict, dataset: str, seed) -> str:
    args = ["--dataset", dataset, "--source", config["data"]["source"], "--data-root", config["data_root"],
            "--seeds", str(seed), "--device", pipeline_device(config)]
    for key, value in config["model"].items():
        args += ["--set", f"{key}={value}"]
    return shlex.join(args)


def run_inputs(config: dict, dataset: str, seeds) -> list[str]:
    """The dataset file and the cached model of every seed a run needs."""
    return [dataset_file(config, dataset)] + [model_target(config, dataset, s) for s in seeds]


def train_args(config: dict, algo: str, dataset: str, seeds, cfg: dict, fields: dict) -> str:
    """Arguments of papers.<paper>.train (shared.model.cli) for one run of a paper's scale mapping `cfg`
    (steps, train.batch_size, eval, log_every) with config fields `fields`."""
    args = ["--algo", algo, "--dataset", dataset, "--source", config["data"]["source"],
            "--data-root", config["data_root"], "--seeds", *map(str, seeds), "--steps", str(cfg["steps"]),
            "--batch-size", str(cfg["train"]["batch_size"]), "--eval-every", str(cfg["eval"]["every"]),
            "--eval-episodes", str(cfg["eval"]["episodes"]), "--log-every", str(cfg["log_every"]),
            "--device", pipeline_device(config, cfg)]
    for key, value in fields.items():
        args += ["--set", f"{key}={list(value) if isinstance(value, (list, tuple)) else value}"]
    return shlex.join(args)
