# OVR (ICLR 2021 submission): Table 1 (via ours.csv and the report's diff), Figures 1-3, the theory table and the
# DualDICE ratio diagnostics. Included by the root Snakefile, which provides config["ovr"] (the active scale of
# config/papers/ovr.yaml), config["scale"], config["data"]["source"] and config["data_root"].
#   snakemake --cores all ovr_all
import shlex

from papers.ovr import settings as ovr_settings
from shared.data import dataset_target
from shared.rl.device import gpus, pipeline_device

OVR = config["ovr"]
OVR_RESULTS = f"{RESULTS}/ovr"
OVR_RUNS = f"{OVR_RESULTS}/runs"
OVR_SOURCE = config["data"]["source"]
OVR_DATA_ROOT = config["data_root"]
OVR_RUN_DIRS = ovr_settings.run_dirs(OVR, OVR_RUNS)
OVR_FIGURE_RUNS = {
    "1": OVR_RUN_DIRS["table1"],
    "2": ovr_settings.figure2_dirs(OVR, OVR_RUNS),
    "3": OVR_RUN_DIRS["noise"],
}
OVR_FIGURE_TITLES = {
    "1": "Figure 1: BCQ vs BCQ+OVR (assumed: score vs BCQ updates; mixed = medium-replay)",
    "2": "Figure 2: Hopper ablation BCQ / BCQ+I.W. / BCQ+OVR (assumed: I.W. = TD loss weighted by the DualDICE ratio)",
    "3": f"Figure 3: rewards r + N(0, {OVR['noise']['std']:g}) drawn once per dataset (seed {OVR['noise']['seed']}; "
         "assumed datasets: medium, medium-replay)",
}


rule ovr_train:
    """All seeds of one (group, dataset, method) in one process; resumes from its checkpoint if killed."""
    input:
        lambda wc: [dataset_target(ovr_settings.data_name(OVR, OVR_SOURCE, wc.dataset), OVR_SOURCE, OVR_DATA_ROOT)],
    output:
        final=f"{OVR_RUNS}/{{group}}/{{dataset}}/{{variant}}/final.json",
        evals=f"{OVR_RUNS}/{{group}}/{{dataset}}/{{variant}}/eval.csv",
    params:
        args=lambda wc: shlex.join(ovr_settings.run_args(OVR, wc.group, ovr_settings.data_name(OVR, OVR_SOURCE, wc.dataset), wc.variant)
                                   + ["--source", OVR_SOURCE, "--data-root", OVR_DATA_ROOT,
                                      "--device", pipeline_device(config, OVR)]),
    wildcard_constraints:
        group="|".join(ovr_settings.GROUPS),
        dataset=r"[a-z0-9]+(-[a-z]+)+",
        variant=r"[a-z0-9_.\-]+",
    log:
        f"{OVR_RUNS}/{{group}}/{{dataset}}/{{variant}}/train.log",
    threads: 1
    resources:
        gpu=gpus(pipeline_device(config, OVR)),
    shell:
        "python -m papers.ovr.train {params.args} --out $(dirname {output.final}) 2> {log}"


rule ovr_theory:
    """The Fenchel steps, Lemma 1, Theorem 2 and DualDICE on random finite MDPs: theory.csv and theory.md."""
    output:
        csv=f"{OVR_RESULTS}/theory.csv",
        md=f"{OVR_RESULTS}/theory.md",
    params:
        mdps=OVR["theory"]["mdps"],
        seed=OVR["theory"]["seed"],
        out_dir=lambda wc, output: os.path.dirname(output.csv),
    log:
        f"{OVR_RESULTS}/logs/theory.log",
    shell:
        "python -m papers.ovr.theory --out-dir {params.out_dir} --mdps {params.mdps} --seed {params.seed} > {log} 2>&1"


rule ovr_collect:
    """ours.csv (Table 1, Figures 2-3 cells per seed), ratio.csv (DualDICE diagnostics), sweeps.csv (lambda)."""
    input:
        [f"{d}/final.json" for dirs in OVR_RUN_DIRS.values() for d in dirs],
    output:
        ours=f"{OVR_RESULTS}/ours.csv",
        ratio=f"{OVR_RESULTS}/ratio.csv",
        sweeps=f"{OVR_RESULTS}/sweeps.csv",
    params:
        scale=config["scale"],
        figure2=OVR["ablation"]["datasets"],
        out_dir=lambda wc, output: os.path.dirname(output.ours),
    log:
        f"{OVR_RESULTS}/logs/collect.log",
    shell:
        "python -m papers.ovr.collect --scale {params.scale} --figure2-datasets {params.figure2} "
        "--out-dir {params.out_dir} {input} > {log} 2>&1"


rule ovr_figure:
    """Figures 1-3: normalised score vs update, mean ± std over seeds, one panel per dataset."""
    input:
        lambda wc: [f"{d}/eval.csv" for d in OVR_FIGURE_RUNS[wc.n]],
    output:
        f"{OVR_RESULTS}/figures/figure{{n}}.png",
    wildcard_constraints:
        n="1|2|3",
    params:
        title=lambda wc: OVR_FIGURE_TITLES[wc.n],
    log:
        f"{OVR_RESULTS}/logs/figure{{n}}.log",
    shell:
        "python -m papers.ovr.figures --title {params.title:q} --out {output} {input} > {log} 2>&1"


rule ovr_all:
    """Every OVR output of the active scale: ours.csv (Table 1 via the diff), Figures 1-3, the theory table."""
    input:
        rules.ovr_collect.output,
        rules.ovr_theory.output,
        [f"{OVR_RESULTS}/figures/figure{n}.png" for n in OVR_FIGURE_RUNS],


rule ovr_benchmark:
    """BCQ and BCQ+OVR updates/s at K = 1 and 5 seeds on CPU (the engine's benchmark). Timing: run it on purpose."""
    output:
        f"{OVR_RESULTS}/benchmark.json",
    log:
        f"{OVR_RESULTS}/logs/benchmark.log",
    shell:
        "python -m shared.bench --algos bcq bcq_ovr --seeds 1 5 --steps 20 --out {output} > {log} 2>&1"
