"""Summary statistics over seeds and tasks: mean, std, bootstrap CI, IQM, Welch's t-test from summaries, and the
comparison of two sets of per-seed values that claims use (`compare`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

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


# ---- comparing two sets of per-seed values, for claims ----------------------------------------------------------

ALPHA = 0.05
ROUNDING_RELATIVE = 1e-6  # a difference below this fraction of the values' magnitude is float rounding, never signal
DIRECTIONS = ("greater", "less")

COMPARE_RULE = (
    f"A claim's comparison of A and B is decided only when the difference is outside the seeds' noise: Welch's "
    f"t-test on the per-seed values (a paired t-test on per-seed differences where the runs share their random "
    f"streams), two-sided, α = {ALPHA}, and |mean A − mean B| above the claim's minimum effect (at least "
    f"{ROUNDING_RELATIVE:g} of the values' magnitude, float rounding). A side with fewer than two finite seeds has "
    f"no measured noise and decides nothing. A claim holds when its comparisons are decided its way, fails when one "
    f"is decided against it, and is *inconclusive* otherwise. Another CPU type's rounding perturbs a run as a change "
    f"of seed does, so a difference inside the seed noise is one that another machine can reverse."
)


@dataclass(frozen=True)
class Comparison:
    """Mean A against mean B over seeds: `decided` is "greater", "less" or None (within noise)."""

    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    p_value: float
    min_effect: float
    paired: bool
    decided: str | None

    @property
    def delta(self) -> float:
        return self.mean_a - self.mean_b

    def text(self, label_a: str = "A", label_b: str = "B") -> str:
        test = "paired t" if self.paired else "Welch"
        p = "n/a" if math.isnan(self.p_value) else f"{self.p_value:.2g}"
        outcome = {"greater": ">", "less": "<", None: "≈"}[self.decided]
        return (f"{label_a} {self.mean_a:.3g} {outcome} {label_b} {self.mean_b:.3g} "
                f"(Δ {self.delta:+.3g}, {test} p {p}, n {self.n_a}/{self.n_b})")


def compare(a, b, paired: bool = False, alpha: float = ALPHA, min_effect: float = 0.0) -> Comparison:
    """Is mean(a) greater or less than mean(b) beyond the seeds' noise (the rule in COMPARE_RULE)?

    `a`, `b`: per-seed values (NaN = diverged seed, left out; paired drops a pair with a NaN on either side).
    """
    if min_effect < 0 or not 0 < alpha < 1:
        raise ValueError(f"compare: need min_effect >= 0 and 0 < alpha < 1, got {min_effect!r}, {alpha!r}")
    if paired:
        a_raw, b_raw = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
        if a_raw.shape != b_raw.shape:
            raise ValueError(f"compare(paired=True): {a_raw.size} values against {b_raw.size}")
        keep = np.isfinite(a_raw) & np.isfinite(b_raw)
        x, y = a_raw[keep], b_raw[keep]
    else:
        x, y = finite(a), finite(b)
    mean_a = float(x.mean()) if x.size else math.nan
    mean_b = float(y.mean()) if y.size else math.nan
    if x.size < 2 or y.size < 2:
        return Comparison(mean_a, mean_b, int(x.size), int(y.size), math.nan, min_effect, paired, None)
    delta = mean_a - mean_b
    rounding = ROUNDING_RELATIVE * max(np.abs(x).max(), np.abs(y).max())
    effect = max(min_effect, rounding)
    if paired:
        differences = x - y
        spread = float(np.std(differences, ddof=1))
        p = (1.0 if abs(delta) <= effect else 0.0) if spread <= rounding else \
            float(scipy_stats.ttest_1samp(differences, 0.0).pvalue)
    else:
        std_a, std_b = float(np.std(x, ddof=1)), float(np.std(y, ddof=1))
        p = (1.0 if abs(delta) <= effect else 0.0) if max(std_a, std_b) <= rounding else \
            welch_p_value(mean_a, std_a, x.size, mean_b, std_b, y.size)
    decided = None
    if p < alpha and abs(delta) > effect:
        decided = "greater" if delta > 0 else "less"
    return Comparison(mean_a, mean_b, int(x.size), int(y.size), p, min_effect, paired, decided)
