import math

import numpy as np
import pytest

from shared.report import stats


def test_sample_std_uses_ddof_1_and_ignores_nan():
    assert stats.sample_std([1.0, 3.0, math.nan]) == pytest.approx(math.sqrt(2.0))
    assert math.isnan(stats.sample_std([5.0]))


def test_iqm_is_mean_of_middle_half():
    # 8 values: drop the lowest 2 and highest 2, mean of 3,4,5,6
    assert stats.iqm([1, 2, 3, 4, 5, 6, 7, 100]) == pytest.approx(4.5)


def test_bootstrap_ci_is_deterministic_and_brackets_the_mean():
    values = [10.0, 12.0, 11.0, 13.0, 9.0]
    low, high = stats.bootstrap_ci95(values)
    assert (low, high) == stats.bootstrap_ci95(values)
    assert low < np.mean(values) < high
    assert low >= min(values) and high <= max(values)
    assert all(math.isnan(x) for x in stats.bootstrap_ci95([1.0]))


def test_welch_matches_hand_computation():
    # t = (5 - 3) / sqrt(1/4 + 4/9); df by Welch-Satterthwaite
    se2 = 1 / 4 + 4 / 9
    t = 2 / math.sqrt(se2)
    df = se2**2 / ((1 / 4) ** 2 / 3 + (4 / 9) ** 2 / 8)
    from scipy.stats import t as student

    expected = 2 * student.sf(t, df)
    assert stats.welch_p_value(5.0, 1.0, 4, 3.0, 2.0, 9) == pytest.approx(expected)


def test_welch_with_both_spreads_zero_is_exact_comparison():
    assert stats.welch_p_value(1.0, 0.0, 3, 1.0, 0.0, 5) == 1.0
    assert stats.welch_p_value(1.0, 0.0, 3, 2.0, 0.0, 5) == 0.0


def test_welch_refuses_a_single_seed():
    with pytest.raises(ValueError):
        stats.welch_p_value(1.0, 0.5, 1, 2.0, 0.5, 5)


def test_std_from_ci95():
    assert stats.std_from_ci95(1.96, 4) == pytest.approx(2.0)
