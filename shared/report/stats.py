"""Summary statistics over seeds and tasks: mean, std, bootstrap CI, IQM, Welch's t-test from summaries."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as scipy_stats

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0  # fixed so that a report is reproducible byte for byte


def finite(values) -> np.ndarray:
    """The finite entries of `values` (diverged seeds carry NaN and are excluded)."""
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def sample_std(values) -> float:
    """Sample standard deviation (ddof=1); NaN with fewer than two values, since one seed has no spread."""
    array = finite(values)
    return float(np.std(array, ddof=1)) if array.size >= 2 else math.nan


def bootstrap_ci95(values, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile bootstrap 95% CI of the mean; (nan, nan) with fewer than two values."""
    array = finite(values)
    if array.size < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = array[rng.integers(0, array.size, size=(resamples, array.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(low), float(high))


def iqm(values) -> float:
    """Interquartile mean: the mean of the middle 50% of the values (Agarwal et al., 2021)."""
    array = np.sort(finite(values))
    if array.size == 0:
        return math.nan
    # trim_mean drops int(0.25 * n) values from each end: with fewer than 4 values this is the plain mean.
    return float(scipy_stats.trim_mean(array, 0.25))


def welch_p_value(mean_a: float, std_a: float, n_a: int, mean_b: float, std_b: float, n_b: int) -> float:
    """Two-sided p-value of Welch's t-test from summary statistics (needs n >= 2 and a spread on both sides)."""
    if n_a < 2 or n_b < 2 or not (math.isfinite(std_a) and math.isfinite(std_b)):
        raise ValueError("Welch's t-test needs at least two seeds and a finite std on both sides")
    if std_a == 0 and std_b == 0:
        return 1.0 if mean_a == mean_b else 0.0
    return float(scipy_stats.ttest_ind_from_stats(mean_a, std_a, n_a, mean_b, std_b, n_b, equal_var=False).pvalue)


def std_from_ci95(half_width: float, n: int) -> float:
    """Std implied by a normal 95% CI half-width of a mean over n seeds: half = 1.96 * std / sqrt(n)."""
    return half_width * math.sqrt(n) / 1.96
