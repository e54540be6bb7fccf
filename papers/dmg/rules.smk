# DMG (Mao et al., NeurIPS 2024): Tables 2, 3, 4, 6 (via ours.csv and the report's diff) and Figures 1-6.
# Included by the root Snakefile, which provides config["dmg"] (the active scale of config/papers/dmg.yaml),
# config["scale"], config["data"]["source"] and config["data_root"].
#   snakemake --cores all dmg_all
from papers.dmg import pipeline as dmg_pipeline
from papers.dmg import settings as dmg_settings
from shared.rl.device import gpus, pipeline_device

DMG = config["dmg"]
DMG_RESULTS = f"{RESULTS}/dmg"
DMG_RUNS = f"{DMG_RESULTS}/runs"
DMG_RUN_DIRS = dmg_settings.run_dirs(DMG, DMG_RUNS)
DMG_FT_FINALS = dmg_pipeline.finetune_finals(config, DMG_RUNS)
# The scale's device (paper: auto), or config["device"] for every paper; auto is resolved here, once.
DMG_DEVICE = pipeline_device(config, DMG)
DMG_GPUS = gpus(DMG_DEVICE)
DMG_FIGURES = [f"{DMG_RESULTS}/figures/figure{i}.png" for i in range(1, 7)]


rule dmg_train:
    """All seeds of one (dataset, method, setting) in one process; resumes from its checkpoint if killed."""
    input:
        lambda wc: dmg_pipeline.dataset_input(config, wc.dataset),
    output:
        final=f"{DMG_RUNS}/{{group}}/{{dataset}}/{{variant}}/final.json",
        evals=f"{DMG_RUNS}/{{group}}/{{dataset}}/{{variant}}/eval.csv",
    params:
        args=lambda wc: dmg_pipeline.train_args(config, DMG_DEVICE, wc.group, wc.dataset, wc.variant),
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


rule dmg_finetune:
    """Table 4 / Figure 6: offline -> online fine-tuning of the Table 2 DMG and IQL runs; TD3 from scratch."""
    input:
        lambda wc: dmg_pipeline.finetune_input(config, DMG_RUNS, wc.dataset, wc.method),
    output:
        final=f"{DMG_RUNS}/finetune/{{dataset}}/{{method}}/final.json",
        evals=f"{DMG_RUNS}/finetune/{{dataset}}/{{method}}/eval.csv",
    params:
        args=lambda wc: dmg_pipeline.finetune_args(config, DMG_DEVICE, DMG_RUNS, wc.dataset, wc.method),
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
        out_dir=lambda wc, output: os.path.dirname(output.ours),
    log:
        f"{DMG_RESULTS}/logs/collect.log",
    shell:
        "python -m papers.dmg.collect --scale {params.scale} --runtime-dataset {params.runtime_dataset} "
        "--out-dir {params.out_dir} {input} > {log} 2>&1"


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
    log:
        f"{DMG_RESULTS}/logs/sweep-figure{{n}}.log",
    shell:
        "python -m papers.dmg.figures sweep --sweeps {input} --kind {params.kind} --out {output} > {log} 2>&1"


rule dmg_figure_runtime:
    """Figure 3: training time per algorithm on the runtime dataset, measured by us."""
    input:
        f"{DMG_RESULTS}/runtime.csv",
    output:
        f"{DMG_RESULTS}/figures/figure3.png",
    log:
        f"{DMG_RESULTS}/logs/figure3.log",
    shell:
        "python -m papers.dmg.figures runtime --runtime {input} --out {output} > {log} 2>&1"


rule dmg_figure_curves:
    """Figures 4-6: learning curves, mean ± std over seeds."""
    input:
        lambda wc: dmg_pipeline.curve_inputs(DMG_RUN_DIRS, DMG_FT_FINALS, wc.n),
    output:
        f"{DMG_RESULTS}/figures/figure{{n}}.png",
    wildcard_constraints:
        n="4|5|6",
    params:
        title=lambda wc: dmg_pipeline.CURVE_TITLES[wc.n],
    log:
        f"{DMG_RESULTS}/logs/curves-figure{{n}}.log",
    shell:
        "python -m papers.dmg.figures curves --title {params.title:q} --out {output} {input} > {log} 2>&1"


DMG_THEORY = [f"{DMG_RESULTS}/theory/{name}" for name in
              ("contraction.csv", "performance.csv", "overestimation.csv", "figure1_toy.csv", "theory.md", "theory.png")]


rule dmg_theory:
    """The theory numerically (Lemma 1, Theorems 2-4, Figure 1's mechanism on a toy): CPU, minutes."""
    output:
        DMG_THEORY,
    params:
        mdps=DMG["theory"]["mdps"],
        toy_steps=DMG["theory"]["toy_steps"],
        out_dir=lambda wc, output: os.path.dirname(output[0]),
    log:
        f"{DMG_RESULTS}/theory/theory.log",
    threads: 1
    shell:
        "python -m papers.dmg.theory --out-dir {params.out_dir} --mdps {params.mdps} "
        "--toy-steps {params.toy_steps} 2> {log}"


rule dmg_all:
    """Every DMG output of the active scale: ours.csv (Tables 2, 3, 4, 6 via the diff), Figures 1-6 and the
    theory's checks."""
    input:
        rules.dmg_collect.output,
        DMG_FIGURES,
        DMG_THEORY,


rule dmg_benchmark:
    """Engine throughput of DMG and the baselines at K = 1, 5, 10 seeds (python -m shared.bench). Timing, so it
    is not part of dmg_all: run it on purpose, on an otherwise idle machine."""
    output:
        f"{RESULTS}/bench/cpu.json",
    log:
        f"{RESULTS}/bench/cpu.log",
    threads: 1
    shell:
        "python -m shared.bench --device cpu --out {output} > {log} 2>&1"
