# DROMO (Liu, Zhong, Chen 2021; seed 001): the paper has no experiments; our EXTENSION table compares COMBO, DROMO
# (Eq. 13) and strict DROMO (Eq. 17) on the same datasets, seeds and cached dynamics models. Included by the root
# Snakefile, which provides config["dromo"] (config/papers/dromo.yaml at the active scale) and shared/model/rules.smk.
#   snakemake --cores all dromo_all
from papers.dromo import settings as dromo_settings
from shared.rl.device import gpus, pipeline_device

DROMO = config["dromo"]
DROMO_RESULTS = f"{RESULTS}/dromo"
DROMO_RUNS = f"{DROMO_RESULTS}/runs"
DROMO_FINALS = [f"{DROMO_RUNS}/{d}/{a}/final.json" for d, a in dromo_settings.run_list(DROMO)]


rule dromo_train:
    """All seeds of one (dataset, algorithm) of the extension table in one process."""
    input:
        lambda wc: model_pipeline.run_inputs(config, wc.dataset, DROMO["seeds"]),
    output:
        final=f"{DROMO_RUNS}/{{dataset}}/{{algo}}/final.json",
        evals=f"{DROMO_RUNS}/{{dataset}}/{{algo}}/eval.csv",
    params:
        args=lambda wc: dromo_settings.train_args(DROMO, config, wc.dataset, wc.algo),
    wildcard_constraints:
        dataset=r"[a-z0-9]+(-[a-z]+)+",
        algo="|".join(dromo_settings.METHOD_NAMES),
    log:
        f"{DROMO_RUNS}/{{dataset}}/{{algo}}/train.log",
    threads: 1
    resources:
        gpu=gpus(pipeline_device(config, DROMO)),
    shell:
        "python -m papers.dromo.train {params.args} --out $(dirname {output.final}) 2> {log}"


rule dromo_collect:
    """ours.csv: the extension table (score, learned Q on dataset pairs, penalty) per algorithm and seed."""
    input:
        DROMO_FINALS,
    output:
        f"{DROMO_RESULTS}/ours.csv",
    params:
        scale=config["scale"],
    log:
        f"{DROMO_RUNS}/collect.log",
    shell:
        "python -m papers.dromo.collect --scale {params.scale} --out {output} {input} 2> {log}"


include: "theory.smk"


rule dromo_all:
    """Every DROMO output of the active scale (the diff and tables come from report_diff)."""
    input:
        rules.dromo_collect.output,
        rules.dromo_theory.input,

