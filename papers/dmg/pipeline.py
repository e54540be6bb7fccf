"""What papers/dmg/rules.smk computes from the config: each job's inputs and command-line arguments (kept out of
the rules file, so it holds rules only). `dmg` is config["dmg"], `config` the resolved Snakemake config."""
from __future__ import annotations

import shlex

from papers.dmg import settings as dmg_settings
from shared.data import dataset_target

CURVE_TITLES = {
    "4": "Figure 4: DMG offline learning curves, Gym locomotion",
    "5": "Figure 5: DMG offline learning curves, AntMaze",
    "6": "Figure 6: online fine-tuning learning curves (step 0 = offline policy)",
}


def source(config: dict, dataset: str) -> str:
    """AntMaze exists only as Minari's D4RL/antmaze/* (downloaded by the job); locomotion uses data.source."""
    return "minari" if dataset.startswith("antmaze") else config["data"]["source"]


def dataset_input(config: dict, dataset: str) -> list[str]:
    # Minari downloads happen inside the job (network); generated and d4rl datasets come from the data rules.
    if source(config, dataset) == "minari":
        return []
    return [dataset_target(dataset, source(config, dataset), config["data_root"])]


def train_args(config: dict, device: str, group: str, dataset: str, variant: str) -> str:
    dmg = config["dmg"]
    algo, overrides = dmg_settings.run_overrides(dmg, group, dataset, variant)
    cadence = dmg_settings.eval_cadence(dmg, dataset)
    seeds = [str(s) for s in dmg_settings.group_seeds(dmg, group)]
    args = ["--algo", algo, "--dataset", dataset, "--source", source(config, dataset),
            "--data-root", config["data_root"], "--seeds", *seeds, "--steps", str(dmg["steps"]),
            "--eval-every", str(min(cadence["every"], dmg["steps"])), "--eval-episodes", str(cadence["episodes"]),
            "--log-every", str(dmg["log_every"]), "--device", device, *overrides]
    return shlex.join(args)


def finetune_input(config: dict, runs: str, dataset: str, method: str) -> list[str]:
    if method == "td3":
        return dataset_input(config, dataset)
    return [f"{runs}/table2/{dataset}/{method}/final.json"]


def finetune_args(config: dict, device: str, runs: str, dataset: str, method: str) -> str:
    dmg, finetune = config["dmg"], config["dmg"]["finetune"]
    args = ["--method", method, "--dataset", dataset, "--source", source(config, dataset), "--data-root",
            config["data_root"], "--online-steps", str(finetune["online_steps"]),
            "--eval-every", str(finetune["eval_every"]), "--eval-episodes", str(finetune["eval_episodes"]),
            "--log-every", str(dmg["log_every"]), "--device", device]
    if method == "td3":
        args += ["--seeds", *[str(s) for s in dmg["seeds"]], "--start-steps", str(finetune["td3_start_steps"])]
    else:
        args += ["--offline-run", f"{runs}/table2/{dataset}/{method}"]
    if "large" in dataset:  # App. C.2: gamma 0.995 when fine-tuning on antmaze-large, for DMG and IQL alike
        args += ["--set", "discount=0.995"]
    return shlex.join(args)


def finetune_finals(config: dict, runs: str) -> list[str]:
    finetune = config["dmg"]["finetune"]
    return [f"{runs}/finetune/{d}/{m}/final.json" for d in finetune["datasets"] + finetune["stand_in"]
            for m in ("dmg", "iql", "td3")]


def curve_inputs(run_dirs: dict, finetune_finals: list[str], figure: str) -> list[str]:
    """eval.csv of every run a learning-curve figure draws: 4 locomotion DMG, 5 AntMaze DMG, 6 fine-tuning."""
    offline_dmg = [d for d in run_dirs["table2"] if d.rsplit("/", 1)[-1] == "dmg"]
    if figure == "4":
        return [f"{d}/eval.csv" for d in offline_dmg if "antmaze" not in d]
    if figure == "5":
        return [f"{d}/eval.csv" for d in offline_dmg if "antmaze" in d]
    return [f.replace("final.json", "eval.csv") for f in finetune_finals]
