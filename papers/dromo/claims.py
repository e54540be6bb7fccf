"""DROMO's checks. The paper has no experiments, so its deep-RL statements are checked as an EXTENSION: the
variance penalty "generalises the penalty to other out-of-distribution state-action pairs" (Fig. 1) and gives a
lower bound on Q (Thm 4.2), so DROMO's learned Q should sit below COMBO's on the same data, seeds and models.

Each (dataset, penalty form) is one comparison of per-seed learned Q, DROMO's against COMBO's, by the shared rule
(shared.report.stats.compare: Welch's t-test, two-sided, alpha 0.05; Q is not a normalised score, so only the
rule's float-rounding floor applies). The claim fails if one comparison is decided against it, is inconclusive
if one is within the seeds' noise, and holds only when every one is decided its way; "not run" without the
extension's cells. The paper states nothing about scores, so the extension's scores are reported
(tables/extension.md) but decide no claim. The theory checks come from theory_claims.
"""
from __future__ import annotations

from papers.dromo.theory_claims import THEORY_CLAIMS
from shared.report import Claim
from shared.report.stats import compare

FORMS = ("DROMO (Eq. 13)", "strict DROMO (Eq. 17)")


def dromo_more_pessimistic_than_combo(results) -> Claim:
    name = "extension_q_below_combo"
    statement = ("EXTENSION (not a paper result): DROMO's learned Q on dataset pairs is below COMBO's, for both "
                 "penalty forms, on every dataset run.")
    df = results.df[results.df["artifact"] == "extension_q"]
    comparisons = []
    for dataset in sorted(set(df["setting"])):
        combo = results.cell("extension_q", dataset, "COMBO")
        for form in FORMS:
            dromo = results.cell("extension_q", dataset, form)
            if combo is not None and dromo is not None:
                comparisons.append((compare(dromo.values, combo.values), "less", (f"{dataset} {form} Q", "COMBO")))
    if not comparisons:
        return Claim.not_run(name, statement, "no extension runs at this scale")
    return Claim.from_comparisons(name, statement, comparisons)


CLAIMS = [dromo_more_pessimistic_than_combo] + THEORY_CLAIMS
