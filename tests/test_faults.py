"""Faults: every DMG seed diverges (an exploding setting), and the tiny pipeline still reaches the report, the
cells marked diverged and every figure drawn (an "all seeds diverged" panel where nothing finite is left)."""
import pandas as pd
import pytest
from pipeline_run import run_pipeline


@pytest.fixture(scope="module")
def diverged_run(tmp_path_factory):
    return run_pipeline(tmp_path_factory.mktemp("diverged"), "tiny_diverged.yaml", timeout=900)


@pytest.mark.slow
def test_every_dmg_seed_is_marked_diverged_in_ours_and_the_diff(diverged_run):
    ours = pd.read_csv(diverged_run / "dmg" / "ours.csv")
    dmg = ours[ours["method"].str.startswith("DMG")]
    assert len(dmg) > 0 and dmg["diverged"].all() and dmg["value"].isna().all()
    assert not ours[ours["method"] == "BC"]["diverged"].any()  # the other methods are untouched
    diff = pd.read_csv(diverged_run / "dmg" / "diff.csv")
    assert (diff[diff["method"] == "DMG"]["verdict"].isin(["diverged", "not run"])).all()
    assert (diff["verdict"] == "diverged").sum() > 0


@pytest.mark.slow
def test_every_figure_and_the_report_are_written(diverged_run):
    for n in range(1, 7):
        assert (diverged_run / "dmg" / "figures" / f"figure{n}.png").stat().st_size > 0
    assert "diverged" in (diverged_run / "report.html").read_text()
