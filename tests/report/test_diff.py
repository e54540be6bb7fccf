import math

import numpy as np
import pandas as pd
import pytest
from conftest import ours_rows
from scipy import stats as scipy_stats

from shared.report.diff import diff_cell, diff_paper, tolerance_test
from shared.report.published import Artifact, PublishedCell, Total, load_published
from shared.report.results import CellStats, Results


def artifact(cells, totals=(), data="D4RL v2", score_kind="d4rl_normalised"):
    return Artifact(id="t", kind="table", caption="c", source="Table 1", score_kind=score_kind, data=data,
                    checkpoint="final", seeds=5, spread_kind="std", totals=tuple(totals), cells=tuple(cells))


def published(mean, spread=None, seeds=5, kind="std", setting="s", method="M"):
    return PublishedCell(setting, method, mean, spread, kind if spread is not None else "none", seeds)


def results(*groups, data="D4RL v2"):
    rows = [row for setting, method, values in groups for row in ours_rows("t", setting, method, values, data=data)]
    return Results("/nonexistent", pd.DataFrame(rows))


def test_welch_decides_when_both_sides_have_spread():
    ours = [50.0, 52.0, 54.0, 56.0, 58.0]  # mean 54, std sqrt(10)
    cell = published(60.0, 1.0)
    row = diff_cell(results(("s", "M", ours)), artifact([cell]), cell)
    p = scipy_stats.ttest_ind_from_stats(54.0, math.sqrt(10), 5, 60.0, 1.0, 5, equal_var=False).pvalue
    assert row.test == f"Welch p = {p:.3g} < 0.05" and row.verdict == "differs" and row.delta == pytest.approx(-6.0)
    wide = published(60.0, 8.0)
    assert diff_cell(results(("s", "M", ours)), artifact([wide]), wide).verdict == "match"


def test_floor_accepts_a_small_delta_even_if_welch_would_reject():
    cell = published(100.0, 0.01)  # floor = 5 points
    row = diff_cell(results(("s", "M", [96.0, 96.01, 95.99])), artifact([cell]), cell)
    assert row.verdict == "match" and "floor 5" in row.test


def test_no_published_spread_uses_our_std():
    cell = published(60.0)  # no spread
    ours = [50.0, 60.0, 70.0]  # std 10 > |delta| 0 ... shift it
    row = diff_cell(results(("s", "M", [v - 8 for v in ours])), artifact([cell]), cell)
    assert row.within_tolerance and "larger std 10" in row.test
    far = diff_cell(results(("s", "M", [v - 20 for v in ours])), artifact([cell]), cell)
    assert far.verdict == "differs" and "> larger std 10" in far.test


def test_one_seed_falls_back_to_their_spread():
    cell = published(60.0, 4.0)
    near = diff_cell(results(("s", "M", [56.5])), artifact([cell]), cell)
    assert near.ours_n == 1 and math.isnan(near.ours_std) and near.verdict == "match" and "≤ larger std 4" in near.test
    far = diff_cell(results(("s", "M", [55.0])), artifact([cell]), cell)
    assert far.verdict == "differs"


def test_one_seed_and_no_published_spread_uses_the_floor():
    cell = published(60.0)
    assert diff_cell(results(("s", "M", [57.5])), artifact([cell]), cell).verdict == "match"
    row = diff_cell(results(("s", "M", [56.0])), artifact([cell]), cell)
    assert row.verdict == "differs" and "> floor 3" in row.test


def test_zero_spread_on_both_sides():
    cell = published(60.0, 0.0)
    row = diff_cell(results(("s", "M", [50.0, 50.0, 50.0])), artifact([cell]), cell)
    assert row.ours_std == 0.0 and row.test == "Welch p = 0 < 0.05" and row.verdict == "differs"


def test_partly_diverged_run_is_flagged_with_mean_over_the_rest():
    cell = published(60.0, 2.0)
    row = diff_cell(results(("s", "M", [60.0, math.nan, 62.0])), artifact([cell]), cell)
    assert row.verdict == "diverged" and row.ours_mean == 61.0 and row.ours_n == 2 and row.ours_diverged == 1
    assert row.note.startswith("1/3 seeds diverged")


def test_fully_diverged_run_has_no_test():
    cell = published(60.0, 2.0)
    row = diff_cell(results(("s", "M", [math.nan, math.nan])), artifact([cell]), cell)
    assert row.verdict == "diverged" and row.within_tolerance is None and math.isnan(row.ours_mean)


def test_not_run_and_different_data():
    cell = published(60.0, 2.0)
    assert diff_cell(results(("other", "M", [60.0])), artifact([cell]), cell).verdict == "not run"
    row = diff_cell(results(("s", "M", [60.0, 61.0]), data="generated Hopper-v5 (D4RL recipe)"), artifact([cell]), cell)
    assert row.verdict == "different data" and row.within_tolerance is True


def test_totals_are_recomputed_per_seed_not_copied():
    a, b = published(10.0, 1.0, setting="a"), published(20.0, 1.0, setting="b")
    total = published(999.0, setting="total")  # a wrong printed total must not leak into ours
    art = artifact([a, b, total], totals=[Total("total", ("a", "b"))])
    res = results(("a", "M", [9.0, 11.0, 10.0]), ("b", "M", [21.0, 19.0, 23.0]))
    row = diff_cell(res, art, total)
    sums = np.array([30.0, 30.0, 33.0])
    assert row.ours_mean == pytest.approx(sums.mean()) and row.ours_std == pytest.approx(sums.std(ddof=1))
    assert "paper's printed total 999 ≠ sum of its cells 30.0" in row.note
    assert row.ours_iqm == pytest.approx(np.mean(sorted([9, 11, 10, 21, 19, 23])[1:5]))


def test_total_with_a_missing_constituent_is_not_run():
    a, b = published(10.0, 1.0, setting="a"), published(20.0, 1.0, setting="b")
    total = published(30.0, setting="total")
    art = artifact([a, b, total], totals=[Total("total", ("a", "b"))])
    row = diff_cell(results(("a", "M", [10.0, 10.0])), art, total)
    assert row.verdict == "not run" and "1 run at this scale" in row.note


def test_total_with_a_diverged_seed_is_diverged():
    a, b = published(10.0, 1.0, setting="a"), published(20.0, 1.0, setting="b")
    total = published(30.0, setting="total")
    art = artifact([a, b, total], totals=[Total("total", ("a", "b"))])
    row = diff_cell(results(("a", "M", [10.0, 10.0, 10.0]), ("b", "M", [20.0, math.nan, 20.0])), art, total)
    assert row.verdict == "diverged" and row.ours_n == 2 and row.ours_mean == 30.0


def test_every_published_cell_appears_once_in_order(synth):
    papers, results_dir = synth
    pub = load_published(papers / "synth" / "published.yaml")
    rows = diff_paper(pub, Results(results_dir / "synth"))
    assert [(r.artifact, r.setting, r.method) for r in rows] == [
        (a.id, c.setting, c.method) for a in pub.artifacts for c in a.cells]
    assert {r.verdict for r in rows} == {"match", "differs", "diverged", "not run"}


def test_ci95_published_spread_is_converted_to_std():
    cell = published(60.0, 1.96, seeds=4, kind="ci95")  # std 2
    ours = CellStats((56.0, 57.0, 55.0, 56.0))
    p = scipy_stats.ttest_ind_from_stats(56.0, ours.std, 4, 60.0, 2.0, 4, equal_var=False).pvalue
    assert tolerance_test(cell, ours, "d4rl_normalised").text == f"Welch p = {p:.3g} {'≥' if p >= 0.05 else '<'} 0.05"


def test_a_seed_flagged_diverged_is_excluded_even_with_a_finite_value():
    rows = ours_rows("t", "s", "M", [60.0, 1e9, 62.0])
    rows[1]["diverged"] = True
    cell = Results("/nonexistent", pd.DataFrame(rows)).cell("t", "s", "M")
    assert cell.mean == 61.0 and cell.n == 2 and cell.diverged == 1


def test_data_is_judged_per_cell():
    a, b = published(10.0, 1.0, setting="a"), published(20.0, 1.0, setting="b")
    rows = ours_rows("t", "a", "M", [10.0, 10.5]) + ours_rows("t", "b", "M", [20.0, 20.5], data="generated")
    res = Results("/nonexistent", pd.DataFrame(rows))
    art = artifact([a, b])
    assert diff_cell(res, art, a).verdict == "match"
    assert diff_cell(res, art, b).verdict == "different data"
