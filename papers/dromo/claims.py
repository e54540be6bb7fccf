"""DROMO's checks. The paper has no experiments, so its deep-RL statements are checked as an EXTENSION: the
variance penalty "generalises the penalty to other out-of-distribution state-action pairs" (Fig. 1) and gives a
lower bound on Q (Thm 4.2), so DROMO's learned Q should sit below COMBO's on the same data, seeds and models.
A gap within seed noise (no larger than the larger std) does not count; with none left the check is inconclusive. The theory checks come from theory_claims.
"""
from __future__ import annotations


from papers.dromo.theory_claims import THEORY_CLAIMS
from shared.report import Claim

FORMS = ("DROMO (Eq. 13)", "strict DROMO (Eq. 17)")


def dromo_more_pessimistic_than_combo(results) -> Claim:
    name = "extension_q_below_combo"
    statement = ("EXTENSION (not a paper result): DROMO's learned Q on dataset pairs is below COMBO's, for both "
                 "penalty forms, on every dataset run.")
    df = results.df[results.df["artifact"] == "extension_q"]
    outcomes, evidence = [], []
    for dataset in sorted(set(df["setting"])):
        combo = results.cell("extension_q", dataset, "COMBO")
        for form in FORMS:
            dromo = results.cell("extension_q", dataset, form)
            if combo is None or dromo is None:
                continue
            gap = dromo.mean - combo.mean
            noisy = abs(gap) <= max(combo.std, dromo.std)
            if not noisy:
                outcomes.append(gap < 0)
            evidence.append(f"{dataset} {form}: Q {dromo.mean:.3g} ± {dromo.std:.2g} vs COMBO {combo.mean:.3g} ± "
                            f"{combo.std:.2g}{' (within seed noise)' if noisy else ''}")
    if not evidence:
        return Claim.not_run(name, statement, "no extension runs at this scale")
    if not outcomes:
        return Claim.not_run(name, statement, "inconclusive (every gap within seed noise): " + "; ".join(evidence))
    return Claim.check(name, statement, all(outcomes), f"{sum(outcomes)}/{len(outcomes)} decisive comparisons; "
                       + "; ".join(evidence))


CLAIMS = [dromo_more_pessimistic_than_combo]

if importlib.util.find_spec("papers.dromo.theory_claims") is not None:   # the numerical theory checks
    from papers.dromo.theory_claims import THEORY_CLAIMS

    CLAIMS += THEORY_CLAIMS
