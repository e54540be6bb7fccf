# DMG (Mao et al., NeurIPS 2024): Tables 2, 3, 4, 6 (via ours.csv and the report's diff) and Figures 1-6.
# Included by the root Snakefile, which provides config["dmg"] (the active scale of config/papers/dmg.yaml),
# config["scale"], config["data"]["source"] and config["data_root"].
#   snakemake --cores all dmg_all
import shlex

from papers.dmg import settings as dmg_settings
from shared.data import dataset_target
from shared.rl.device import gpus, rule_device

DMG = config["dmg"]
DMG_RESULTS = "results/dmg"
DMG_RUNS = f"{DMG_RESULTS}/runs"
DMG_SOURCE = config["data"]["source"]
DMG_DATA_ROOT = config["data_root"]
DMG_RUN_DIRS = dmg_settings.run_dirs(DMG, DMG_RUNS)
DMG_FT = DMG["finetune"]
DMG_FT_DATASETS = DMG_FT["datasets"] + DMG_FT["stand_in"]
DMG_FT_FINALS = [f"{DMG_RUNS}/finetune/{d}/{m}/final.json" for d in DMG_FT_DATASETS for m in ("dmg", "iql", "td3")]
# The scale's device (paper: auto), or config["device"] for every paper; auto is resolved here, once.
DMG_DEVICE = rule_device(config.get("device") or DMG.get("device", "cpu"))
DMG_GPUS = gpus(DMG_DEVICE)
DMG_FIGURES = [f"{DMG_RESULTS}/figures/figure{i}.png" for i in range(1, 7)]


def dmg_source(dataset):
    """AntMaze exists only as Minari's D4RL/antmaze/* (downloaded by the job); locomotion uses data.source."""
    return "minari" if dataset.startswith("antmaze") else DMG_SOURCE


def dmg_dataset_input(wildcards):
    # Minari downloads happen inside the job (network); generated and d4rl datasets come from the data rules.
    if dmg_source(wildcards.dataset) == "minari":
        return []
    return [dataset_target(wildcards.dataset, dmg_source(wildcards.dataset), DMG_DATA_ROOT)]


def dmg_train_args(wildcards):
    algo, overrides = dmg_settings.run_overrides(DMG, wildcards.group, wildcards.dataset, wildcards.variant)
    cadence = dmg_settings.eval_cadence(DMG, wildcards.dataset)
    seeds = [str(s) for s in dmg_settings.group_seeds(DMG, wildcards.group)]
    args = ["--algo", algo, "--dataset", wildcards.dataset, "--source", dmg_source(wildcards.dataset),
            "--data-root", DMG_DATA_ROOT, "--seeds", *seeds, "--steps", str(DMG["steps"]),
            "--eval-every", str(min(cadence["every"], DMG["steps"])), "--eval-episodes", str(cadence["episodes"]),
            "--log-every", str(DMG["log_every"]), "--device", DMG_DEVICE, *overrides]
    return shlex.join(args)


rule dmg_train:
    """All seeds of one (dataset, method, setting) in one process; resumes from its checkpoint if killed."""
    input:
        dmg_dataset_input,
    output:
        final=f"{DMG_RUNS}/{{group}}/{{dataset}}/{{variant}}/final.json",
        evals=f"{DMG_RUNS}/{{group}}/{{dataset}}/{{variant}}/eval.csv",
    params:
        args=dmg_train_args,
    wildcard_constraints:
        group="|".join(dmg_settings.GROUPS),
        dataset=r"[a-z0-9]+(-[a-z]+)+",
        variant=r"[a-z0-9_.\-]+",
    log:
        f"{DMG_RUNS}/{{group}}/{{dataset}}/{{variant}}/train.log",
    threads: 1
    resources:
        gpu=DMG_GPUS,
    shell:
        "python -m papers.dmg.train {params.args} --out $(dirname {output.final}) 2> {log}"


def dmg_finetune_input(wildcards):
    if wildcards.method == "td3":
        return dmg_dataset_input(wildcards)
    return [f"{DMG_RUNS}/table2/{wildcards.dataset}/{wildcards.method}/final.json"]


def dmg_finetune_args(wildcards):
    dataset, method = wildcards.dataset, wildcards.method
    args = ["--method", method, "--dataset", dataset, "--source", dmg_source(dataset), "--data-root",
            DMG_DATA_ROOT, "--online-steps", str(DMG_FT["online_steps"]), "--eval-every", str(DMG_FT["eval_every"]),
            "--eval-episodes", str(DMG_FT["eval_episodes"]), "--log-every", str(DMG["log_every"]),
            "--device", DMG_DEVICE]
    if method == "td3":
        args += ["--seeds", *[str(s) for s in DMG["seeds"]], "--start-steps", str(DMG_FT["td3_start_steps"])]
    else:
        args += ["--offline-run", f"{DMG_RUNS}/table2/{dataset}/{method}"]
    if "large" in dataset:  # App. C.2: gamma 0.995 when fine-tuning on antmaze-large, for DMG and IQL alike
        args += ["--set", "discount=0.995"]
    return shlex.join(args)


rule dmg_finetune:
    """Table 4 / Figure 6: offline -> online fine-tuning of the Table 2 DMG and IQL runs; TD3 from scratch."""
    input:
        dmg_finetune_input,
    output:
        final=f"{DMG_RUNS}/finetune/{{dataset}}/{{method}}/final.json",
        evals=f"{DMG_RUNS}/finetune/{{dataset}}/{{method}}/eval.csv",
    params:
        args=dmg_finetune_args,
    wildcard_constraints:
        method="dmg|iql|td3",
    log:
        f"{DMG_RUNS}/finetune/{{dataset}}/{{method}}/finetune.log",
    threads: 1
    resources:
        gpu=DMG_GPUS,
    shell:
        "python -m papers.dmg.finetune {params.args} --out $(dirname {output.final}) 2> {log}"


rule dmg_collect:
    """ours.csv (every table cell, per seed), sweeps.csv (Figures 1-2), runtime.csv (Figure 3)."""
    input:
        [f"{d}/final.json" for dirs in DMG_RUN_DIRS.values() for d in dirs] + DMG_FT_FINALS,
    output:
        ours=f"{DMG_RESULTS}/ours.csv",
        sweeps=f"{DMG_RESULTS}/sweeps.csv",
        runtime=f"{DMG_RESULTS}/runtime.csv",
    params:
        scale=config["scale"],
        runtime_dataset=DMG["runtime"]["dataset"],
    shell:
        "python -m papers.dmg.collect --scale {params.scale} --runtime-dataset {params.runtime_dataset} "
        "--out-dir {DMG_RESULTS} {input}"


rule dmg_figure_sweep:
    """Figure 1 (lambda) and Figure 2 (nu): score and learned Q per setting, diverged seeds marked."""
    input:
        f"{DMG_RESULTS}/sweeps.csv",
    output:
        f"{DMG_RESULTS}/figures/figure{{n}}.png",
    wildcard_constraints:
        n="1|2",
    params:
        kind=lambda wc: "lambda" if wc.n == "1" else "nu",
    shell:
        "python -m papers.dmg.figures sweep --sweeps {input} --kind {params.kind} --out {output}"


rule dmg_figure_runtime:
    """Figure 3: training time per algorithm on the runtime dataset, measured by us."""
    input:
        f"{DMG_RESULTS}/runtime.csv",
    output:
        f"{DMG_RESULTS}/figures/figure3.png",
    shell:
        "python -m papers.dmg.figures runtime --runtime {input} --out {output}"


def dmg_curve_inputs(figure):
    if figure == "4":
        return [f"{d}/eval.csv" for d in DMG_RUN_DIRS["table2"] if d.endswith("/dmg") and "antmaze" not in d]
    if figure == "5":
        return [f"{d}/eval.csv" for d in DMG_RUN_DIRS["table2"] if d.endswith("/dmg") and "antmaze" in d]
    return [f.replace("final.json", "eval.csv") for f in DMG_FT_FINALS]


DMG_CURVE_TITLES = {
    "4": "Figure 4: DMG offline learning curves, Gym locomotion",
    "5": "Figure 5: DMG offline learning curves, AntMaze",
    "6": "Figure 6: online fine-tuning learning curves (step 0 = offline policy)",
}


rule dmg_figure_curves:
    """Figures 4-6: learning curves, mean ± std over seeds."""
    input:
        lambda wc: dmg_curve_inputs(wc.n),
    output:
        f"{DMG_RESULTS}/figures/figure{{n}}.png",
    wildcard_constraints:
        n="4|5|6",
    params:
        title=lambda wc: DMG_CURVE_TITLES[wc.n],
    shell:
        "python -m papers.dmg.figures curves --title {params.title:q} --out {output} {input}"


rule dmg_all:
    """Every DMG output of the active scale: ours.csv (Tables 2, 3, 4, 6 via the diff) and Figures 1-6."""
    input:
        rules.dmg_collect.output,
        DMG_FIGURES,


rule dmg_benchmark:
    """Engine throughput of DMG and the baselines at K = 1, 5, 10 seeds (python -m shared.bench). Timing, so it
    is not part of dmg_all: run it on purpose, on an otherwise idle machine."""
    output:
        "results/bench/cpu.json",
    log:
        "results/bench/cpu.log",
    threads: 1
    shell:
        "python -m shared.bench --device cpu --out {output} > {log} 2>&1"
