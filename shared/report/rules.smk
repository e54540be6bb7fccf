# The diff against the published numbers (one job per paper) and the report over every paper.
# Included by the root Snakefile after the papers' rules; it defines PAPERS (the papers whose rules are included).
# published.yaml is read from the repository (beside the Snakefile); results are relative to the working directory,
# so `snakemake --directory <elsewhere>` works.
from pathlib import Path as _Path

REPORT_PAPERS_DIR = _Path(workflow.basedir) / "papers"
REPORT_PAPERS = [paper for paper in PAPERS if (REPORT_PAPERS_DIR / paper / "published.yaml").is_file()]
REPORT_OUTPUTS = ("diff.md", "diff.csv", "metrics.json", "tables/")


def report_paper_outputs(wildcards):
    """The paper's final outputs (the inputs of its <paper>_all rule), so its figures exist before the diff
    looks for them; the diff's own outputs are left out, should the paper's rule list them."""
    paper_all = getattr(rules, f"{wildcards.paper}_all", None)
    if paper_all is None:
        return []
    own = tuple(f"results/{wildcards.paper}/{name}" for name in REPORT_OUTPUTS)
    return [path for path in paper_all.input if not str(path).startswith(own)]


rule report_diff:
    """Every published cell against ours: results/<paper>/diff.{md,csv}, metrics.json (for dvc metrics) and
    tables/<id>.{md,csv,tex} per table artifact."""
    input:
        ours="results/{paper}/ours.csv",
        published=f"{REPORT_PAPERS_DIR}/{{paper}}/published.yaml",
        finals=report_paper_outputs,
    output:
        diff_md="results/{paper}/diff.md",
        diff_csv="results/{paper}/diff.csv",
        metrics="results/{paper}/metrics.json",
        tables=directory("results/{paper}/tables"),
    wildcard_constraints:
        paper="|".join(REPORT_PAPERS) or "no-paper",
    shell:
        "python -m shared.report diff --paper {wildcards.paper} --papers-dir {REPORT_PAPERS_DIR:q} --results-dir results"


rule report_all:
    """The single report (results/report.html) and the status of every paper (results/README.md)."""
    input:
        expand("results/{paper}/diff.md", paper=REPORT_PAPERS),
        expand("results/{paper}/metrics.json", paper=REPORT_PAPERS),
    output:
        html="results/report.html",
        readme="results/README.md",
    shell:
        "python -m shared.report report --papers-dir {REPORT_PAPERS_DIR:q} --results-dir results"
        " --html {output.html} --readme {output.readme}"
