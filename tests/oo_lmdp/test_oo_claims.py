"""claims.py decides hold / fail / inconclusive / not run from the cells, with the tolerances its statements give."""
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
    assert never_above.verdict == "fail" and "fig2a Delta=10" in never_above.evidence


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


def test_fig2d_claims_compare_per_run():
    def fig2d(optimal, pessimistic, online):
        rows = [dict(artifact="fig2d", setting="K=10000", method=m, seed=run, value=v, diverged=False, data="x",
                     scale="paper") for m, values in ((OPT, optimal), (claims.PESSIMISTIC, pessimistic), (UCRL, online))
                for run, v in enumerate(values)]
        return Results("/nonexistent", pd.DataFrame(rows))
    online = [60.0, 120.0, 90.0, 150.0]
    # Pessimistic equal to UCRL on every run (the paper-scale finding): decided, not lost in the run-to-run spread
    designs = claims.both_designs_beat_online_only(fig2d([30.0, 60.0, 45.0, 75.0], online, online))
    assert designs.verdict == "fail" and "Pessimistic" in designs.evidence and "paired" in designs.evidence
    # Optimal 1% below 0.8 x Pessimistic on two runs and above on two: within noise
    noisy = claims.optimal_design_beats_pessimistic(fig2d([47.0, 97.0, 73.0, 119.0], online, online))
    assert noisy.verdict == "inconclusive"
