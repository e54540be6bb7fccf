"""COMBO's theoretical statements (appendix A) as claims over results/combo/theory/checks.csv.

A claim holds when the statement as printed has no counterexample among the random instances; the evidence
also names the corrected statement that was checked instead (papers/combo/README.md, "Theory, numerically").
"""
from __future__ import annotations

from shared.report import Claim
from shared.tabular import theory_claim


def _claim(results, name: str, statement: str, printed: list[str], corrected: list[str] = ()):
    return theory_claim(results, "combo", name, statement, printed, corrected)


def lemma_a1(results) -> Claim:
    return _claim(results, "theory_lemma_a1", "Lemma A.1: nu(rho, f) >= 0, increasing in f (Eq. 7), zero iff "
                  "rho = d or f = 0.", ["lemma_a1_nonneg", "lemma_a1_monotone", "lemma_a1_zero", "lemma_a1_eq7"])


def remark1_sign(results) -> Claim:
    return _claim(results, "theory_remark1", "Remark 1: the expected penalty under d is <= 0 (COMBO may overestimate "
                  "dataset states) while CQL lower-bounds V^pi at every state.",
                  ["remark1_sign", "remark1_cql_per_state"])


def remark3_chi2(results) -> Claim:
    return _claim(results, "theory_remark3", "Remark 3: nu(rho, 1) = sum rho (rho/d - 1)^2.", ["remark3_printed"],
                  ["nu_f1_chi2"])


def eq4_fixed_point(results) -> Claim:
    return _claim(results, "theory_eq4", "Eq. 4 is the minimiser of the tabular critic objective (Eq. 2), and Eq. "
                  "29's inner maximum is a log-sum-exp.", ["eq4_minimiser"], ["eq4_fixed_point", "eq29_softmax"])


def prop41_pointwise(results) -> Claim:
    return _claim(results, "theory_prop41", "Prop. 4.1: Q-hat is pointwise below Q^pi - beta S^pi[(rho-d)/d_f] plus "
                  "the sampling- and model-error terms.", ["prop41_printed"], ["prop41_corrected"])


def cor41_lower_bound(results) -> Claim:
    return _claim(results, "theory_cor41", "Cor. 4.1: for large enough beta, E_{mu0,pi}[Q-hat] <= E_{mu0,pi}[Q^pi].",
                  ["cor41_printed", "cor41_slope_is_nu"], ["cor41_corrected"])


def prop42_less_conservative(results) -> Claim:
    return _claim(results, "theory_prop42", "Prop. 4.2: COMBO is less conservative than CQL on dataset states when "
                  "E_{rho(s),pi}[pi/pi_b] <= E_{d(s),pi}[pi/pi_b].", ["prop42_printed"],
                  ["prop42_one_step", "prop42_corrected"])


def lemma_a2(results) -> Claim:
    return _claim(results, "theory_lemma_a2", "Lemma A.2: |J(pi, M_f) - J(pi, M)| <= alpha (Eq. 22).",
                  ["lemma_a2_printed"], ["lemma_a2_corrected"])


THEORY_CLAIMS = [lemma_a1, remark1_sign, remark3_chi2, eq4_fixed_point, prop41_pointwise, cor41_lower_bound,
                 prop42_less_conservative, lemma_a2]
