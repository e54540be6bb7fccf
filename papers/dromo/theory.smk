# DROMO's theory checked numerically (papers/dromo/README.md, "Theory, numerically") and its Figure 1 recreated on a toy problem.
# Included by papers/dromo/rules.smk; settings from config["dromo"]["theory"] (defaults in the modules):
#   instances, seed (papers/dromo/theory.py); figure1: {iterations, grid} (papers/dromo/theory_figure1.py).
#   snakemake --cores 1 dromo_theory
DROMO_THEORY = config.get("dromo", {}).get("theory", {})
DROMO_THEORY_FIGURE1 = DROMO_THEORY.get("figure1", {})
DROMO_THEORY_OUT = f"{DROMO_RESULTS}/theory"
DROMO_THEORY_CHECKS = [f"{DROMO_THEORY_OUT}/{name}" for name in (
    "checks.csv", "summary.md", "theorem_3_1.csv", "lemma_4_1.csv", "lower_bound_gap.csv", "theorem_4_5.csv", "theorem_4_4_step.csv",
    "lower_bound_gap.png")]
DROMO_THEORY_FIGURES = [f"{DROMO_THEORY_OUT}/{name}" for name in (
    "figure1.png", "figure1_grid.csv", "figure1.csv", "figure1_alpha.csv")]


rule dromo_theory_checks:
    """Thm 3.1, Lemma 4.1, Thm 4.2 / Cor. 4.3 / Thm 4.4 at the fixed point, Thm 4.5 (exact, 1 core)."""
    output:
        DROMO_THEORY_CHECKS,
    params:
        out=lambda wc, output: os.path.dirname(output[0]),
        instances=DROMO_THEORY.get("instances", 10),
        seed=DROMO_THEORY.get("seed", 0),
    log:
        f"{DROMO_THEORY_OUT}/logs/checks.log",
    threads: 1
    shell:
        "python -m papers.dromo.theory --out {params.out} --instances {params.instances}"
        " --seed {params.seed} > {log} 2>&1"


rule dromo_theory_figure1:
    """Fig. 1: one-step penalty and learned Q of COMBO, DROMO and strict DROMO over a 2-D (s, a) grid."""
    output:
        DROMO_THEORY_FIGURES,
    params:
        out=lambda wc, output: os.path.dirname(output[0]),
        iterations=DROMO_THEORY_FIGURE1.get("iterations", 40),
        grid=DROMO_THEORY_FIGURE1.get("grid", 41),
        seed=DROMO_THEORY.get("seed", 0),
    log:
        f"{DROMO_THEORY_OUT}/logs/figure1.log",
    threads: 1
    shell:
        "python -m papers.dromo.theory_figure1 --out {params.out} --iterations {params.iterations}"
        " --grid {params.grid} --seed {params.seed} > {log} 2>&1"


rule dromo_theory:
    input:
        DROMO_THEORY_CHECKS,
        DROMO_THEORY_FIGURES,
