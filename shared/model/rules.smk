# The cached dynamics model of one (dataset, seed), shared by every COMBO and DROMO run on that dataset.
# Included by the root Snakefile, which provides config["model"] (config/papers/model.yaml at the active scale),
# config["data"]["source"] and config["data_root"]. Paper rules depend on model_target(dataset, seed).
import shlex

from shared.data import dataset_target
from shared.model.tasks import source_dataset

MODEL_RUNS = "results/models/runs"


def model_target(dataset, seed):
    return f"{MODEL_RUNS}/{dataset}/seed{seed}/model.pt"


def model_fit_args(wildcards):
    args = ["--dataset", wildcards.dataset, "--source", config["data"]["source"], "--data-root", config["data_root"],
            "--seeds", wildcards.seed]
    for key, value in config["model"].items():
        args += ["--set", f"{key}={value}"]
    return shlex.join(args)


rule model_fit:
    """7 Gaussian dynamics models (5 elites) of one dataset and seed; hold-out error, time, hardware in model.json."""
    input:
        lambda wc: dataset_target(source_dataset(wc.dataset), config["data"]["source"], config["data_root"]),
    output:
        model=f"{MODEL_RUNS}/{{dataset}}/seed{{seed}}/model.pt",
        report=f"{MODEL_RUNS}/{{dataset}}/seed{{seed}}/model.json",
    params:
        args=model_fit_args,
    wildcard_constraints:
        dataset=r"[a-z0-9]+(-[a-z]+)+",
        seed=r"\d+",
    log:
        f"{MODEL_RUNS}/{{dataset}}/seed{{seed}}/fit.log",
    threads: 1
    shell:
        "python -m shared.model.train {params.args} --out $(dirname {output.model}) 2> {log}"


def model_based_train_args(algo, dataset, seeds, cfg, fields):
    """The command-line arguments of papers.<paper>.train (shared.model.cli) for one run of a paper's scale
    mapping `cfg` (steps, train.batch_size, eval, log_every) with config fields `fields`."""
    args = ["--algo", algo, "--dataset", dataset, "--source", config["data"]["source"],
            "--data-root", config["data_root"], "--seeds", *map(str, seeds), "--steps", str(cfg["steps"]),
            "--batch-size", str(cfg["train"]["batch_size"]), "--eval-every", str(cfg["eval"]["every"]),
            "--eval-episodes", str(cfg["eval"]["episodes"]), "--log-every", str(cfg["log_every"])]
    for key, value in fields.items():
        args += ["--set", f"{key}={list(value) if isinstance(value, (list, tuple)) else value}"]
    return shlex.join(args)


def model_based_inputs(dataset, seeds):
    """The dataset file and the cached model of every seed a run needs."""
    data = dataset_target(source_dataset(dataset), config["data"]["source"], config["data_root"])
    return [data] + [model_target(dataset, s) for s in seeds]
