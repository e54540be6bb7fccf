# COMBO's appendix theory checked numerically on random finite MDPs (papers/combo/README.md, "Theory, numerically"). Included by
# papers/combo/rules.smk; settings from config["combo"]["theory"] (defaults in papers/combo/theory.py):
#   instances: random instances per cell, seed: base seed.
#   snakemake --cores 1 combo_theory
COMBO_THEORY = config.get("combo", {}).get("theory", {})
COMBO_THEORY_OUT = f"{COMBO_RESULTS}/theory"
COMBO_THEORY_OUTPUTS = [f"{COMBO_THEORY_OUT}/{name}" for name in (
    "checks.csv", "summary.md", "lemma_a1.csv", "eq4_fixed_point.csv", "lower_bound.csv", "less_conservative.csv",
    "lemma_a2.csv", "lemma_a1.png", "lower_bound.png")]


rule combo_theory_checks:
    """Lemma A.1, Eq. 4, Prop. 4.1 / Cor. 4.1, Prop. 4.2 / Remark 1 and Lemma A.2 (exact linear algebra, 1 core)."""
    output:
        COMBO_THEORY_OUTPUTS,
    params:
        out=lambda wc, output: os.path.dirname(output[0]),
        instances=COMBO_THEORY.get("instances", 20),
        seed=COMBO_THEORY.get("seed", 0),
    log:
        f"{COMBO_THEORY_OUT}/logs/checks.log",
    threads: 1
    shell:
        "python -m papers.combo.theory --out {params.out} --instances {params.instances}"
        " --seed {params.seed} > {log} 2>&1"


rule combo_theory:
    input:
        COMBO_THEORY_OUTPUTS,
