# oo_lmdp (Zhang & Sinclair, "Offline-Online RL for Linear Mixture MDPs"): Figures 2(a)-(d), 3, 4(a)/(b) and a
# measured-regret-vs-proof-quantity figure. Included by the root Snakefile, which provides config["oo_lmdp"]
# (the active scale of config/papers/oo_lmdp.yaml) and config["scale"]. One job per experiment (sweep):
#   snakemake --cores all oo_lmdp_all --config scale=paper
from papers.oo_lmdp import pipeline as oo_lmdp_pipeline

OO_LMDP = config["oo_lmdp"]
OO_LMDP_SCALE = config["scale"]
OO_LMDP_RESULTS = f"{RESULTS}/oo_lmdp"
OO_LMDP_EXPERIMENTS = list(OO_LMDP["experiments"])
OO_LMDP_FIGURE_SOURCES = oo_lmdp_pipeline.figure_sources(OO_LMDP)
OO_LMDP_TABLES = oo_lmdp_pipeline.TABLES


rule oo_lmdp_experiment:
    """All runs x sweep points x methods of one experiment in one process (numpy, one core)."""
    output:
        [f"{OO_LMDP_RESULTS}/{{experiment}}/{name}" for name in OO_LMDP_TABLES],
        arrays=f"{OO_LMDP_RESULTS}/runs/{{experiment}}.npz",
    params:
        settings=lambda wc: oo_lmdp_pipeline.experiment_settings(OO_LMDP, wc.experiment),
        scale=OO_LMDP_SCALE,
        out=lambda wc, output: os.path.dirname(output[0]),
        runs_dir=lambda wc, output: os.path.dirname(output.arrays),
    wildcard_constraints:
        experiment="|".join(OO_LMDP_EXPERIMENTS),
    log:
        f"{OO_LMDP_RESULTS}/runs/logs/{{experiment}}.log",
    threads: 1
    shell:
        "python -m papers.oo_lmdp.run_figure --experiment {wildcards.experiment} --scale {params.scale}"
        " --settings {params.settings:q} --out {params.out} --runs-dir {params.runs_dir} 2> {log}"


rule oo_lmdp_figure:
    input:
        lambda wildcards: [f"{OO_LMDP_RESULTS}/{experiment}/{name}" for name in OO_LMDP_TABLES
                           for experiment in OO_LMDP_FIGURE_SOURCES[wildcards.figure]],
    output:
        f"{OO_LMDP_RESULTS}/figures/{{figure}}.png",
    wildcard_constraints:
        figure="|".join(OO_LMDP_FIGURE_SOURCES),
    params:
        results=lambda wc, output: os.path.dirname(os.path.dirname(output[0])),  # <results>/figures/<figure>.png
    log:
        f"{OO_LMDP_RESULTS}/logs/{{figure}}.log",
    shell:
        "python -m papers.oo_lmdp.plot --figure {wildcards.figure} --results {params.results} --out {output}"
        " > {log} 2>&1"


rule oo_lmdp_collect:
    """ours.csv (long format for the diff) and summary.md (Regret(K) per cell and the wall times)."""
    input:
        expand(f"{OO_LMDP_RESULTS}/{{experiment}}/{{name}}", experiment=OO_LMDP_EXPERIMENTS,
               name=("cells.csv", "summary.csv", "timing.json")),
    output:
        ours=f"{OO_LMDP_RESULTS}/ours.csv",
        summary=f"{OO_LMDP_RESULTS}/summary.md",
    params:
        results=lambda wc, output: os.path.dirname(output.ours),
        experiments=OO_LMDP_EXPERIMENTS,
    log:
        f"{OO_LMDP_RESULTS}/logs/collect.log",
    shell:
        "python -m papers.oo_lmdp.collect --results {params.results} --experiments {params.experiments}"
        " --ours {output.ours} --summary {output.summary} > {log} 2>&1"


rule oo_lmdp_all:
    input:
        expand(f"{OO_LMDP_RESULTS}/figures/{{figure}}.png", figure=list(OO_LMDP_FIGURE_SOURCES)),
        f"{OO_LMDP_RESULTS}/ours.csv",
        f"{OO_LMDP_RESULTS}/summary.md",
