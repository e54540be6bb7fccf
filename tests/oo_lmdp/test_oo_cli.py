"""Entry points: tiny-scale run -> CSVs in the ours.csv contract -> figure; bad input fails with one line."""
import pandas as pd
import pytest

from papers.oo_lmdp import collect, plot, run_figure
from shared.provenance import machine_info, machine_text
from shared.report.results import MACHINE_COLUMN, OURS_COLUMNS


def test_tiny_experiment_writes_contract_rows_and_a_figure(tmp_path):
    run_figure.main(["--experiment", "fig2a", "--scale", "tiny", "--out", str(tmp_path / "fig2a"),
                     "--runs-dir", str(tmp_path / "runs")])
    cells = pd.read_csv(tmp_path / "fig2a" / "cells.csv")
    assert tuple(cells.columns) == (*OURS_COLUMNS, MACHINE_COLUMN)
    assert set(cells[MACHINE_COLUMN]) == {machine_text(machine_info())}  # the CPU of the run, for the report
    assert set(cells["artifact"]) == {"fig2a", "fig4a"}
    assert set(cells.loc[cells["artifact"] == "fig2a", "method"]) == {"UCRL", "COMPLETE", "O-O UCRL-VTR (Optimal)"}
    assert len(cells[cells["artifact"] == "fig4a"]) == 2 * 2 * 5  # settings x runs x methods
    assert (tmp_path / "runs" / "fig2a.npz").is_file()
    plot.main(["--figure", "fig4a", "--results", str(tmp_path), "--out", str(tmp_path / "fig4a.png")])
    assert (tmp_path / "fig4a.png").stat().st_size > 10_000
    collect.main(["--results", str(tmp_path), "--experiments", "fig2a", "--ours", str(tmp_path / "ours.csv"),
                  "--summary", str(tmp_path / "summary.md")])
    assert len(pd.read_csv(tmp_path / "ours.csv")) == len(cells)
    assert "Delta=0.01" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize("argv, message", [
    (["--experiment", "fig9", "--scale", "tiny"], "--experiment must be one of"),
    (["--experiment", "fig2a", "--scale", "huge"], "--scale must be one of"),
    (["--experiment", "fig2a", "--scale", "tiny", "--runs", "0"], "--runs must be >= 1"),
])
def test_bad_input_fails_with_one_clear_line(tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        run_figure.main(argv + ["--out", str(tmp_path)])


def test_plot_without_results_names_the_missing_folder(tmp_path):
    with pytest.raises(SystemExit, match="no results for fig2c"):
        plot.main(["--figure", "fig2c", "--results", str(tmp_path), "--out", str(tmp_path / "x.png")])
