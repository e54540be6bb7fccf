# oo_lmdp (Zhang & Sinclair, "Offline-Online RL for Linear Mixture MDPs"): Figures 2(a)-(d), 3, 4(a)/(b) and a
# measured-regret-vs-proof-quantity figure. Included by the root Snakefile, which provides config["oo_lmdp"]
# (the active scale of config/papers/oo_lmdp.yaml) and config["scale"]. One job per experiment (sweep):
#   snakemake --cores all oo_lmdp_all --config scale=paper
import json

OO_LMDP = config["oo_lmdp"]
OO_LMDP_SCALE = config["scale"]
OO_LMDP_RESULTS = "results/oo_lmdp"
OO_LMDP_EXPERIMENTS = list(OO_LMDP["experiments"])
OO_LMDP_FIGURE_SOURCES = {}  # figure -> the experiments whose outputs it reads
for _experiment, _spec in OO_LMDP["experiments"].items():
    for _figure in _spec["figures"]:
        OO_LMDP_FIGURE_SOURCES.setdefault(_figure, []).append(_experiment)
OO_LMDP_TABLES = ("final.csv", "summary.csv", "curves.csv", "cells.csv", "timing.json")


def oo_lmdp_settings(wildcards):
    """The resolved settings one experiment uses (the model and its own spec), as JSON for --settings: a change
    re-runs exactly that experiment, and --config overrides reach it."""
    model = {key: value for key, value in OO_LMDP.items() if key != "experiments"}
    return json.dumps({**model, "experiments": {wildcards.experiment: OO_LMDP["experiments"][wildcards.experiment]}})


rule oo_lmdp_experiment:
    """All runs x sweep points x methods of one experiment in one process (numpy, one core)."""
    output:
        [f"{OO_LMDP_RESULTS}/{{experiment}}/{name}" for name in OO_LMDP_TABLES],
        arrays=f"{OO_LMDP_RESULTS}/runs/{{experiment}}.npz",
    params:
        settings=oo_lmdp_settings,
        scale=OO_LMDP_SCALE,
    wildcard_constraints:
        experiment="|".join(OO_LMDP_EXPERIMENTS),
    log:
        f"{OO_LMDP_RESULTS}/runs/logs/{{experiment}}.log",
    threads: 1
    shell:
        "python -m papers.oo_lmdp.run_figure --experiment {wildcards.experiment} --scale {params.scale}"
        " --settings {params.settings:q} --out {OO_LMDP_RESULTS}/{wildcards.experiment} --runs-dir {OO_LMDP_RESULTS}/runs 2> {log}"


rule oo_lmdp_figure:
    input:
        lambda wildcards: [f"{OO_LMDP_RESULTS}/{experiment}/{name}" for name in OO_LMDP_TABLES
                           for experiment in OO_LMDP_FIGURE_SOURCES[wildcards.figure]],
    output:
        f"{OO_LMDP_RESULTS}/figures/{{figure}}.png",
    wildcard_constraints:
        figure="|".join(OO_LMDP_FIGURE_SOURCES),
    shell:
        "python -m papers.oo_lmdp.plot --figure {wildcards.figure} --results {OO_LMDP_RESULTS} --out {output}"


rule oo_lmdp_collect:
    """ours.csv (long format for the diff) and summary.md (Regret(K) per cell and the wall times)."""
    input:
        expand(f"{OO_LMDP_RESULTS}/{{experiment}}/{{name}}", experiment=OO_LMDP_EXPERIMENTS,
               name=("cells.csv", "summary.csv", "timing.json")),
    output:
        ours=f"{OO_LMDP_RESULTS}/ours.csv",
        summary=f"{OO_LMDP_RESULTS}/summary.md",
    shell:
        "python -m papers.oo_lmdp.collect --results {OO_LMDP_RESULTS} --experiments "
        + " ".join(OO_LMDP_EXPERIMENTS) + " --ours {output.ours} --summary {output.summary}"


rule oo_lmdp_all:
    input:
        expand(f"{OO_LMDP_RESULTS}/figures/{{figure}}.png", figure=list(OO_LMDP_FIGURE_SOURCES)),
        f"{OO_LMDP_RESULTS}/ours.csv",
        f"{OO_LMDP_RESULTS}/summary.md",
