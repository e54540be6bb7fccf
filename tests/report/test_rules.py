"""shared/report/rules.smk driven by Snakemake on the synthetic paper, run in another working directory as the
pipeline test does: report_diff waits for the paper's final outputs (its <paper>_all inputs, e.g. figures) and
report_all writes the page and the README."""
import subprocess
import sys
from pathlib import Path

import pandas as pd

from shared.report import figures

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SNAKEFILE = f"""
PAPERS = ["synth"]
RESULTS = "results"

rule synth_figure:
    input: workflow.basedir + "/figure.png"
    output: "results/synth/figures/figure1.png"
    shell: "cp {{input}} {{output}}"

rule synth_all:
    input: "results/synth/ours.csv", "results/synth/figures/figure1.png"

include: "{REPO / 'shared' / 'report' / 'rules.smk'}"
"""


def test_report_rules_build_the_diff_and_the_report(synth, tmp_path):
    _, results = synth
    workdir = tmp_path / "work"
    workdir.mkdir()
    results.rename(workdir / "results")
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    curve = pd.DataFrame({"step": [0, 1], "score": [0.0, 1.0]})
    figures.save(figures.learning_curves(curve, "step", "score").figure, tmp_path / "figure.png")
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    done = subprocess.run([str(BIN / "snakemake"), "--cores", "1", "--snakefile", str(tmp_path / "Snakefile"),
                           "--directory", str(workdir), "report_all"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for path in ("results/synth/diff.md", "results/synth/metrics.json", "results/synth/tables/table1.tex",
                 "results/report.html", "results/README.md"):
        assert (workdir / path).is_file(), path
    diff = (workdir / "results/synth/diff.md").read_text()
    assert "Figure: [figures/figure1.png](figures/figure1.png) (regenerated)" in diff
