"""DROMO's theoretical statements (Sec. 3-4, App. C) and its Figure 1 as claims over results/dromo/theory/.

A claim holds when the statement as printed has no counterexample among the random instances; the evidence
also names the corrected statement that was checked instead (papers/dromo/README.md, "Theory, numerically").
"""
from __future__ import annotations

import pandas as pd

from shared.report import Claim
from shared.tabular import theory_claim


def _claim(results, name: str, statement: str, printed: list[str], corrected: list[str] = ()):
    return theory_claim(results, "dromo", name, statement, printed, corrected)


def theorem_3_1(results) -> Claim:
    return _claim(results, "theory_thm31", "Thm 3.1: sup over the chi^2 ball of radius alpha/n <= E[Z] + "
                  "sqrt(alpha/n) s_n^2 with s_n^2 = E[Z^2], with equality for large n.",
                  ["thm31_printed_display", "thm31_printed_text"],
                  ["thm31_corrected_bound", "thm31_corrected_equality"])


def lemma_4_1(results) -> Claim:
    return _claim(results, "theory_lemma41", "Lemma 4.1: Eq. 15 is the tabular critic update of Eq. 13.",
                  ["lemma41_printed"], ["lemma41_exact_solver", "lemma41_corrected", "lemma41_mean_preserved"])


def theorem_4_2(results) -> Claim:
    return _claim(results, "theory_thm42", "Thm 4.2: the DROMO fixed point is pointwise below the shrink factor "
                  "times COMBO's bound.", ["thm42_printed", "thm42_swapped"], ["fixed_point_converged",
                                                                             "thm42_corrected"])


def corollary_4_3(results) -> Claim:
    return _claim(results, "theory_cor43", "Cor. 4.3: for large enough beta, E_{mu,pi}[Q-hat] <= E_{mu,pi}[Q^pi].",
                  ["cor43"])


def theorem_4_4(results) -> Claim:
    return _claim(results, "theory_thm44", "Thm 4.4: for beta above the threshold of its proof, one DROMO step expands "
                  "E_d[Q] - E_rho[Q] beyond the true backup's; so does the fixed point.",
                  ["thm44_step_printed", "thm44_fixed_point"], ["thm44_step_large_beta", "thm44_step_combo"])


def theorem_4_5(results) -> Claim:
    return _claim(results, "theory_thm45", "Thm 4.5: with linear features, beta^k above the printed threshold makes "
                  "one step of Eq. 17 a lower bound in expectation.",
                  ["thm45_printed", "thm45_star_positive", "thm45_star_identity"], ["thm45_corrected"])


def figure1_wider_penalty(results) -> Claim:
    """Fig. 1: DROMO also penalises OOD pairs beyond the data and the rollouts, more than COMBO does."""
    name = "figure1_wider_penalty"
    statement = ("Fig. 1: compared to COMBO, DROMO also pushes down out-of-distribution pairs away from the data "
                 "and the rollouts (toy problem, one critic step, at every alpha of the sweep).")
    theory = results.dir / "theory"
    if not (theory / "figure1.csv").is_file() or not (theory / "figure1_alpha.csv").is_file():
        return Claim.not_run(name, statement, f"{theory}/figure1*.csv missing (rule dromo_theory)")
    combo = pd.read_csv(theory / "figure1.csv").set_index("method").loc["COMBO", "other_ood_pushed_down"]
    sweep = pd.read_csv(theory / "figure1_alpha.csv")
    dromo = sweep[sweep.method == "DROMO"].set_index("alpha").other_ood_pushed_down
    wider = dromo > combo
    return Claim.check(name, statement, bool(wider.all()),
                       f"share of other-OOD grid cells pushed down by > 0.05: COMBO {combo:.0%}; DROMO "
                       + ", ".join(f"alpha {a:g}: {v:.0%}" for a, v in dromo.items())
                       + f" (wider at {int(wider.sum())}/{len(wider)} alphas)")


THEORY_CLAIMS = [theorem_3_1, lemma_4_1, theorem_4_2, corollary_4_3, theorem_4_4, theorem_4_5,
                 figure1_wider_penalty]
