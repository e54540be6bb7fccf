"""claims.py decides hold / fail / not run from the cells, with the tolerances its statements give."""
import pandas as pd

from papers.oo_lmdp import claims
from shared.report import Results

OPT, UCRL, COMPLETE = claims.OPTIMAL, claims.UCRL, claims.COMPLETE


def frame(cells):
    """cells: {(artifact, setting, method): mean}; two seeds at mean - 1 and mean + 1."""
    rows = [dict(artifact=a, setting=s, method=m, seed=seed, value=v + d, diverged=False, data="x", scale="paper")
            for (a, s, m), v in cells.items() for seed, d in enumerate((-1.0, 1.0))]
    return Results("/nonexistent", pd.DataFrame(rows))


def delta_sweep(ours, online, pooled):
    cells = {}
    for delta, o, u, c in zip((0.01, 0.1, 1, 10), ours, online, pooled):
        cells |= {("fig2a", f"Delta={delta:g}", OPT): o, ("fig2a", f"Delta={delta:g}", UCRL): u,
                  ("fig2a", f"Delta={delta:g}", COMPLETE): c}
    return cells


def test_safeguard_and_pooling_claims_hold_on_paper_like_numbers():
    results = frame(delta_sweep(ours=(20, 25, 79, 80), online=(80, 80, 80, 80), pooled=(15, 20, 75, 90)))
    assert claims.matches_online_only_when_shift_large(results).verdict == "hold"
    assert claims.naive_pooling_degrades_with_shift(results).verdict == "hold"
    assert claims.never_much_above_the_better_of_online_and_pooling(results).verdict == "hold"


def test_claims_fail_when_the_numbers_contradict_them():
    results = frame(delta_sweep(ours=(20, 25, 95, 100), online=(80, 80, 80, 80), pooled=(15, 20, 60, 70)))
    safeguard = claims.matches_online_only_when_shift_large(results)
    assert safeguard.verdict == "fail" and "1.25" in safeguard.evidence
    assert claims.naive_pooling_degrades_with_shift(results).verdict == "fail"  # 70 < UCRL's 80
    never_above = claims.never_much_above_the_better_of_online_and_pooling(results)
    assert never_above.verdict == "fail" and "fig2a 10" in never_above.evidence


def test_missing_figures_are_not_run():
    results = frame(delta_sweep(ours=(20, 25, 79, 80), online=(80, 80, 80, 80), pooled=(15, 20, 75, 90)))
    for check in (claims.regret_falls_with_offline_sample_size, claims.optimal_design_beats_pessimistic,
                  claims.shift_over_coverage_decides, claims.coverage_advantage_grows):
        assert check(results).verdict == "not run"
    # offline_data_help needs fig2c as well as fig2a
    assert claims.offline_data_help_when_shift_small_and_coverage_good(results).verdict == "not run"


def test_m_off_claim_allows_small_noise_but_not_a_real_rise():
    def sweep(values):
        return frame({("fig2b", f"M_off={m}", method): (v if method == OPT else 80.0)
                      for m, v in zip((100, 1000, 10000), values) for method in (OPT, UCRL)})
    assert claims.regret_falls_with_offline_sample_size(sweep((70, 72, 30))).verdict == "hold"  # +2 <= 4
    assert claims.regret_falls_with_offline_sample_size(sweep((70, 80, 30))).verdict == "fail"  # +10 > 4
