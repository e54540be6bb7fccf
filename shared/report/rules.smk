# The diff against the published numbers (one job per paper) and the report over every paper.
# Included by the root Snakefile after the papers' rules; it defines PAPERS (the papers whose rules are included)
# and RESULTS (the scale's output root). published.yaml is read from the repository (beside the Snakefile); results
# are relative to the working directory, so `snakemake --directory <elsewhere>` works.
from shared.report.pipeline import paper_outputs, report_papers

REPORT_PAPERS_DIR = f"{workflow.basedir}/papers"
REPORT_PAPERS = report_papers(PAPERS, REPORT_PAPERS_DIR)


rule report_diff:
    """Every published cell against ours: <results>/<paper>/diff.{md,csv}, metrics.json (for dvc metrics) and
    tables/<id>.{md,csv,tex} per table artifact."""
    input:
        ours=f"{RESULTS}/{{paper}}/ours.csv",
        published=f"{REPORT_PAPERS_DIR}/{{paper}}/published.yaml",
        finals=lambda wc: paper_outputs(rules, wc.paper, RESULTS),
    output:
        diff_md=f"{RESULTS}/{{paper}}/diff.md",
        diff_csv=f"{RESULTS}/{{paper}}/diff.csv",
        metrics=f"{RESULTS}/{{paper}}/metrics.json",
        tables=directory(f"{RESULTS}/{{paper}}/tables"),
    params:
        papers_dir=lambda wc, input: os.path.dirname(os.path.dirname(input.published)),
        results=lambda wc, output: os.path.dirname(os.path.dirname(output.diff_md)),
    wildcard_constraints:
        paper="|".join(REPORT_PAPERS) or "no-paper",
    log:
        f"{RESULTS}/logs/report_diff_{{paper}}.log",
    shell:
        "python -m shared.report diff --paper {wildcards.paper} --papers-dir {params.papers_dir:q}"
        " --results-dir {params.results:q} > {log} 2>&1"


rule report_all:
    """The single report (<results>/report.html) and the status of every paper (<results>/README.md)."""
    input:
        expand(f"{RESULTS}/{{paper}}/diff.md", paper=REPORT_PAPERS),
        expand(f"{RESULTS}/{{paper}}/metrics.json", paper=REPORT_PAPERS),
    output:
        html=f"{RESULTS}/report.html",
        readme=f"{RESULTS}/README.md",
    params:
        papers_dir=REPORT_PAPERS_DIR,
        results=lambda wc, output: os.path.dirname(output.html),
    log:
        f"{RESULTS}/logs/report_all.log",
    shell:
        "python -m shared.report report --papers-dir {params.papers_dir:q} --results-dir {params.results:q}"
        " --html {output.html} --readme {output.readme} > {log} 2>&1"
