"""COMBO's experimental claims: the selection rule's rank statistic and the shared noise rule's verdicts."""
import math

import pandas as pd
import pytest

from papers.combo import claims
from papers.combo.claims import selection_rule_statistics
from shared.report import Results
from tests.combo.test_combo_pipeline import PUBLISHED_TABLE4

SPREAD = (-0.2, 0.0, 0.2)  # three seeds around each mean


def as_means(table):
    return {d: {"beta=0.5": (v[0], v[1]), "beta=5": (v[2], v[3])} for d, v in table.items()}


def test_the_rule_statistic_on_the_papers_own_table_4_rows_agrees_everywhere():
    agree, rows, tau, _ = selection_rule_statistics(as_means(PUBLISHED_TABLE4))
    assert (agree, rows, tau) == (3, 3, 1.0)


def test_the_rule_statistic_counts_a_row_where_the_lowest_regulariser_scores_worse():
    swapped = dict(PUBLISHED_TABLE4, **{"hopper-medium": (97.2, -740.7, 75.0, -2035.9)})
    agree, rows, tau, lines = selection_rule_statistics(as_means(swapped))
    assert (agree, rows) == (2, 3) and tau == pytest.approx(1 / 3)
    assert "hopper-medium: picked beta=5, best beta=0.5" in lines


def _results(tmp_path, cells):
    """cells {(artifact, setting, method): mean or per-seed list}: a mean becomes three seeds at mean + SPREAD."""
    rows = [{"artifact": a, "setting": s, "method": m, "seed": k, "value": v, "diverged": not math.isfinite(v),
             "data": "generated", "scale": "quick"}
            for (a, s, m), value in cells.items()
            for k, v in enumerate(value if isinstance(value, list) else [value + o for o in SPREAD])]
    return Results(tmp_path, pd.DataFrame(rows))


def _table4(scores: dict[str, tuple[float, float]]):
    """Table 4 cells: {dataset: (score of beta=0.5, score of beta=5)}, beta=5 always the lower regulariser."""
    cells = {}
    for dataset, (low_beta, high_beta) in scores.items():
        cells |= {("table4", dataset, "beta=0.5"): low_beta, ("table4_reg", dataset, "beta=0.5"): -1.0,
                  ("table4", dataset, "beta=5"): high_beta, ("table4_reg", dataset, "beta=5"): -9.0}
    return cells


@pytest.mark.parametrize("scores, verdict", [
    ({"hopper-medium": (40.0, 60.0)}, "hold"),                            # picked beta=5 scores 20 points higher
    ({"hopper-medium": (60.0, 40.0)}, "fail"),                            # picked beta=5 scores 20 points lower
    ({"hopper-medium": (50.0, 50.5)}, "inconclusive"),                    # a gap below 1 normalised point
    ({"hopper-medium": (40.0, 60.0), "walker2d-medium": (50.0, 50.5)}, "inconclusive"),  # one dataset within noise
    ({"hopper-medium": (60.0, 40.0), "walker2d-medium": (50.0, 50.5)}, "fail"),          # one decided against
])
def test_a_table_holds_fails_or_is_inconclusive_by_the_noise_rule(tmp_path, scores, verdict):
    claim = claims.CLAIMS[0](_results(tmp_path, _table4(scores)))
    assert (claim.name, claim.verdict) == ("table4_selection_rule", verdict)
    assert "Kendall tau" in claim.evidence and "Welch p" in claim.evidence


def test_a_gap_of_several_points_inside_a_wide_seed_spread_is_inconclusive(tmp_path):
    cells = _table4({"hopper-medium": (0.0, 0.0)})
    cells[("table4", "hopper-medium", "beta=0.5")] = [40.0, 60.0, 50.0]
    cells[("table4", "hopper-medium", "beta=5")] = [35.0, 75.0, 55.0]   # +5 points, std 20
    assert claims.CLAIMS[0](_results(tmp_path, cells)).verdict == "inconclusive"


def test_the_overall_rule_combines_the_tables_run_and_is_not_run_without_any(tmp_path):
    selection_rule = next(c for c in claims.CLAIMS if c.__name__ == "selection_rule")
    cells = _table4({"hopper-medium": (40.0, 60.0)})
    assert selection_rule(_results(tmp_path, cells)).verdict == "hold"   # Tables 5-7 absent: not counted
    cells |= {("table7", "hopper-medium", "f=0.5"): 50.0, ("table7_reg", "hopper-medium", "f=0.5"): -1.0,
              ("table7", "hopper-medium", "f=0.8"): 50.2, ("table7_reg", "hopper-medium", "f=0.8"): -2.0}
    overall = selection_rule(_results(tmp_path, cells))
    assert overall.verdict == "inconclusive" and overall.evidence == "table4 hold; table7 inconclusive"
    assert selection_rule(_results(tmp_path, {("d4rl", "hopper-medium", "COMBO"): 5.0})).verdict == "not run"


def test_missing_cells_are_not_run(tmp_path):
    one_candidate = {("table4", "hopper-medium", "beta=5"): 50.0, ("table4_reg", "hopper-medium", "beta=5"): -9.0}
    verdicts = {check.__name__: check(_results(tmp_path, one_candidate)).verdict for check in claims.CLAIMS[:7]}
    assert set(verdicts.values()) == {"not run"}


@pytest.mark.parametrize("combo, rival, verdict", [
    (5000.0, 3000.0, "hold"), (3000.0, 5000.0, "fail"), ([4000.0, 6000.0, 5000.0], 4900.0, "inconclusive")])
def test_table8_claims_follow_the_noise_rule(tmp_path, combo, rival, verdict):
    cells = {("table8", "halfcheetah-jump", "COMBO (Ours)"): combo, ("table8", "halfcheetah-jump", "CQL+MBPO"): rival}
    assert claims.combo_beats_cql_mbpo_on_jump(_results(tmp_path, cells)).verdict == verdict


def test_the_batch_max_is_one_exact_value_against_combos_seeds(tmp_path):
    cells = {("table8", "halfcheetah-jump", "COMBO (Ours)"): [5000.0, 5100.0, 5200.0],
             ("table8", "halfcheetah-jump", "Batch Max"): [4000.0]}
    assert claims.combo_beats_batch_max_on_jump(_results(tmp_path, cells)).verdict == "hold"
    cells[("table8", "halfcheetah-jump", "Batch Max")] = [5150.0]
    assert claims.combo_beats_batch_max_on_jump(_results(tmp_path, cells)).verdict == "inconclusive"
