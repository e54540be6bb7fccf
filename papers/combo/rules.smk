# COMBO (Yu, Kumar et al., NeurIPS 2021; appendix seed 002): Tables 4-7 (selection rule), the D4RL column (vs
# Table 4's picked entries), Table 8 (COMBO vs CQL+MBPO on halfcheetah-jump). Included by the root Snakefile, which
# provides config["combo"] (the active scale of config/papers/combo.yaml), config["scale"], config["data"] and
# shared/model/rules.smk (the cached dynamics model per dataset and seed).
#   snakemake --cores all combo_all
from papers.combo import settings as combo_settings
from shared.rl.device import gpus, pipeline_device

COMBO = config["combo"]
COMBO_RESULTS = f"{RESULTS}/combo"
COMBO_RUNS = f"{COMBO_RESULTS}/runs"
COMBO_FINALS = [f"{COMBO_RUNS}/{d}/{v}/final.json" for d, v, _ in combo_settings.run_list(COMBO)]


rule combo_train:
    """All seeds of one (dataset, COMBO setting) in one process, on the cached dynamics models."""
    input:
        lambda wc: combo_settings.train_inputs(COMBO, config, wc.dataset, wc.variant),
    output:
        final=f"{COMBO_RUNS}/{{dataset}}/{{variant}}/final.json",
        evals=f"{COMBO_RUNS}/{{dataset}}/{{variant}}/eval.csv",
    params:
        args=lambda wc: combo_settings.train_args(COMBO, config, wc.dataset, wc.variant),
    wildcard_constraints:
        dataset=r"[a-z0-9]+(-[a-z]+)+",
        variant=r"(combo|cql_mbpo)_[a-z0-9_.\-]+",
    log:
        f"{COMBO_RUNS}/{{dataset}}/{{variant}}/train.log",
    threads: 1
    resources:
        gpu=gpus(pipeline_device(config, COMBO)),
    shell:
        "python -m papers.combo.train {params.args} --out $(dirname {output.final}) 2> {log}"


rule combo_collect:
    """ours.csv: Tables 4-7 (score and regulariser per candidate), the D4RL column, Table 8."""
    input:
        COMBO_FINALS,
    output:
        f"{COMBO_RESULTS}/ours.csv",
    params:
        scale=config["scale"],
    log:
        f"{COMBO_RUNS}/collect.log",
    shell:
        "python -m papers.combo.collect --scale {params.scale} --out {output} {input} 2> {log}"


include: "theory.smk"


rule combo_all:
    """Every COMBO output of the active scale (the diff and tables come from report_diff)."""
    input:
        rules.combo_collect.output,
        rules.combo_theory.input,

