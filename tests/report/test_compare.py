"""The claim comparison rule (shared.report.stats.compare, Claim.compare / from_comparisons / combine)."""
import math

import pytest
from scipy import stats as scipy_stats

from shared.report import Claim
from shared.report.stats import compare


def test_clear_difference_is_decided_with_welchs_p():
    a, b = [10.0, 11.0, 12.0], [1.0, 2.0, 3.0]
    result = compare(a, b)
    assert result.decided == "greater" and compare(b, a).decided == "less"
    assert result.p_value == pytest.approx(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_difference_within_seed_noise_is_not_decided():
    # the quick-scale lambda sweep: 1.78 / 1.79 over two seeds with a spread of a few hundredths
    result = compare([1.79, 1.80], [1.77, 1.79])
    assert result.decided is None and result.p_value > 0.05


def test_a_single_seed_measures_no_noise_and_decides_nothing():
    result = compare([100.0], [1.0, 2.0])
    assert result.decided is None and math.isnan(result.p_value) and result.n_a == 1


def test_diverged_seeds_are_left_out():
    result = compare([10.0, 11.0, math.nan], [1.0, 2.0])
    assert result.n_a == 2 and result.mean_a == 10.5 and result.decided == "greater"
    assert compare([math.nan, math.nan], [1.0, 2.0]).decided is None


def test_rounding_level_difference_without_spread_is_never_decided():
    # identical seeds (no spread) and a difference at float32 rounding: another CPU could reverse it
    result = compare([73.5, 73.5], [73.5 + 1e-6, 73.5 + 1e-6])
    assert result.decided is None
    assert compare([73.5, 73.5], [70.0, 70.0]).decided == "greater"  # a real gap with no spread is decided


def test_min_effect_keeps_a_significant_but_tiny_difference_open():
    a, b = [5.00, 5.01, 5.02, 5.00], [4.90, 4.91, 4.90, 4.92]
    assert compare(a, b).decided == "greater"
    assert compare(a, b, min_effect=1.0).decided is None


def test_paired_test_sees_what_welch_cannot():
    # common random numbers: B is A plus 1 on every run, hidden under a large spread between runs
    a = [10.0, 50.0, 90.0, 30.0, 70.0]
    b = [x + 1.0 for x in a]
    assert compare(a, b).decided is None
    assert compare(a, b, paired=True).decided == "less"
    assert compare(a, a, paired=True).decided is None  # identical runs: no difference
    with pytest.raises(ValueError, match="paired"):
        compare([1.0, 2.0], [1.0], paired=True)


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="min_effect"):
        compare([1.0, 2.0], [1.0, 2.0], min_effect=-1)


def test_claim_verdicts_follow_the_comparison():
    high, low, noisy = [10.0, 11.0, 12.0], [1.0, 2.0, 3.0], [1.0, 12.0, 6.0]
    assert Claim.compare("c", "s", high, low, "greater").verdict == "hold"
    assert Claim.compare("c", "s", high, low, "less").verdict == "fail"
    claim = Claim.compare("c", "s", noisy, low, "greater", labels=("DMG", "IQL"))
    assert claim.verdict == "inconclusive" and claim.evidence.startswith("DMG 6.33 ≈ IQL 2")
    with pytest.raises(ValueError, match="direction"):
        Claim.compare("c", "s", high, low, "bigger")


def test_from_comparisons_fails_on_any_decided_against_else_inconclusive():
    up, down, open_ = compare([10.0, 11.0], [1.0, 2.0]), compare([1.0, 2.0], [10.0, 11.0]), compare([1.0, 5.0], [2.0, 4.0])
    verdict = lambda *cs: Claim.from_comparisons("c", "s", [(c, "greater", ("A", "B")) for c in cs]).verdict
    assert verdict(up, up) == "hold"
    assert verdict(up, open_) == "inconclusive"
    assert verdict(open_, down) == "fail"


def test_combine_orders_fail_inconclusive_not_run_hold():
    part = {v: Claim("p", "s", v, v) for v in ("hold", "fail", "inconclusive", "not run")}
    combined = lambda *vs: Claim.combine("c", "s", [part[v] for v in vs]).verdict
    assert combined("hold", "inconclusive", "fail") == "fail"
    assert combined("hold", "inconclusive") == "inconclusive"
    assert combined("hold", "hold") == "hold"
    with pytest.raises(ValueError):
        Claim.combine("c", "s", [])
