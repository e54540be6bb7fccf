"""End to end: the whole pipeline on the tiny config, in a temporary directory, from datasets to the report."""
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pipeline_run import run_pipeline

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return run_pipeline(tmp_path_factory.mktemp("pipeline"), "tiny.yaml")


def test_dry_run_lists_dataset_train_eval_table_and_diff_jobs():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", "--cores", "all"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = proc.stdout.split("Job stats:")[1]
    jobs = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.MULTILINE)}
    for rule in ("data_behaviour", "data_dataset", "dmg_train", "report_diff", "report_all", "oo_lmdp_experiment",
                 "model_fit", "combo_train", "dromo_train"):
        assert jobs.get(rule, 0) > 0, f"{rule} missing from the dry run: {jobs}"
    assert jobs["data_dataset"] == 15  # 3 environments x 5 levels at quick scale
    assert "results/dmg/tables" in proc.stdout and "results/dmg/diff.md" in proc.stdout
    assert "results/combo/diff.md" in proc.stdout and "results/dromo/diff.md" in proc.stdout


@pytest.mark.slow
def test_tiny_pipeline_writes_every_diff_and_the_report(tiny_run):
    results = tiny_run
    assert results.name == "tiny"  # results/tiny/: a scale other than quick writes its own folder
    for paper in ("dmg", "oo_lmdp", "combo", "dromo", "ovr"):
        published = yaml.safe_load((REPO / "papers" / paper / "published.yaml").read_text())
        n_cells = sum(len(a["cells"]) for a in published["artifacts"])
        diff = pd.read_csv(results / paper / "diff.csv")
        assert len(diff) >= n_cells, f"{paper}: {len(diff)} diff rows for {n_cells} published cells"
        assert (results / paper / "diff.md").stat().st_size > 0
    assert (results / "report.html").stat().st_size > 0
    assert "dmg" in (results / "README.md").read_text()


@pytest.mark.slow
def test_tiny_pipeline_trains_bc_on_generated_hopper_data(tiny_run):
    ours = pd.read_csv(tiny_run / "dmg" / "ours.csv")
    bc = ours[(ours["method"] == "BC") & ours["setting"].str.startswith("hopper")]
    assert len(bc) > 0 and bc["value"].notna().all()
    assert bc["data"].str.contains("generated").all()
