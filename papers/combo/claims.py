"""COMBO's qualitative claims (../shared/papers/combo/notes.md Sec. 7), checked on whatever data our runs used.

The selection rule (Tables 4-7, B.2): among a table's candidates for one dataset, the lowest conservative
regulariser goes with the highest return. Per table we count the datasets where it does and give a rank
statistic: Kendall's tau between -regulariser and score over the candidate pairs of each dataset, pooled over the
table's datasets (+1: the regulariser orders every pair as the return does). A dataset whose two best scores
differ by no more than the larger seed std is "within seed noise": it neither confirms nor refutes the rule, so
the verdict counts only the other datasets, and a table with none left is inconclusive (reported as not run,
with the numbers in its evidence).
"""
from __future__ import annotations

import itertools

from papers.combo.theory_claims import THEORY_CLAIMS
from shared.report import Claim

SELECTION_TABLES = {"table4": "beta", "table5": "mu(a|s)", "table6": "rho(s)", "table7": "f"}


def _candidates(results, table: str) -> dict[str, dict[str, tuple]]:
    """{dataset: {candidate: (score cell, regulariser cell)}} of the candidates we ran."""
    df = results.df[results.df["artifact"] == table]
    out: dict[str, dict[str, tuple]] = {}
    for setting, method in df[["setting", "method"]].drop_duplicates().itertuples(index=False):
        score, reg = results.cell(table, setting, method), results.cell(f"{table}_reg", setting, method)
        if score is not None and reg is not None:
            out.setdefault(setting, {})[method] = (score, reg)
    return {s: c for s, c in out.items() if len(c) >= 2}


def selection_rule_statistics(per_dataset: dict[str, dict[str, tuple[float, float, float]]]):
    """per_dataset {dataset: {candidate: (score mean, score std, regulariser mean)}} -> (agreements among the
    decisive datasets, decisive datasets, all datasets, Kendall tau over within-dataset pairs, evidence)."""
    agree, decisive, concordant, discordant, evidence = 0, 0, 0, 0, []
    for dataset, cands in sorted(per_dataset.items()):
        picked = min(cands, key=lambda c: cands[c][2])
        best = max(cands, key=lambda c: cands[c][0])
        for a, b in itertools.combinations(cands, 2):
            sign = (cands[a][0] - cands[b][0]) * (cands[b][2] - cands[a][2])
            concordant, discordant = concordant + (sign > 0), discordant + (sign < 0)
        scores = sorted(v[0] for v in cands.values())
        noisy = scores[-1] - scores[-2] <= max(v[1] for v in cands.values())
        if not noisy:
            decisive += 1
            agree += picked == best
        evidence.append(f"{dataset}: picked {picked}, best {best}{' (within seed noise)' if noisy else ''} ["
                        + "; ".join(f"{c}: score {v[0]:.2f} ± {v[1]:.2f}, reg {v[2]:.3g}" for c, v in cands.items()) + "]")
    pairs = concordant + discordant
    tau = (concordant - discordant) / pairs if pairs else float("nan")
    return agree, decisive, len(per_dataset), tau, evidence


def _selection_claim(table: str):
    factor = SELECTION_TABLES[table]

    def check(results) -> Claim:
        name = f"{table}_selection_rule"
        statement = (f"{table.capitalize()}: the candidate {factor} with the lowest regulariser value has the highest "
                     "return (offline selection rule).")
        cands = _candidates(results, table)
        if not cands:
            return Claim.not_run(name, statement, f"no dataset with two {factor} candidates run at this scale")
        stats = {d: {c: (s.mean, 0.0 if s.n < 2 else s.std, r.mean) for c, (s, r) in cs.items()}
                 for d, cs in cands.items()}
        agree, decisive, rows, tau, evidence = selection_rule_statistics(stats)
        summary = (f"{agree}/{decisive} decisive datasets agree ({rows - decisive} of {rows} within seed noise); "
                   f"Kendall tau(-reg, score) = {tau:+.2f}; " + "; ".join(evidence))
        if decisive == 0:
            return Claim.not_run(name, statement, "inconclusive: " + summary)
        return Claim.check(name, statement, agree == decisive, summary)

    check.__name__ = f"{table}_selection_rule"
    return check


def combo_beats_cql_mbpo_on_jump(results) -> Claim:
    name, statement = "table8_combo_vs_cql_mbpo", "COMBO's return on halfcheetah-jump exceeds CQL+MBPO's (Table 8)."
    combo, cql = results.cell("table8", "halfcheetah-jump", "COMBO (Ours)"), results.cell("table8", "halfcheetah-jump", "CQL+MBPO")
    if combo is None or cql is None:
        return Claim.not_run(name, statement, "halfcheetah-jump not run at this scale")
    gap, noise = combo.mean - cql.mean, max(combo.std, cql.std)
    evidence = f"COMBO {combo.mean:.1f} ± {combo.std:.1f}, CQL+MBPO {cql.mean:.1f} ± {cql.std:.1f} (n = {combo.n}, {cql.n})"
    if abs(gap) <= noise:
        return Claim.not_run(name, statement, "inconclusive (within seed noise): " + evidence)
    return Claim.check(name, statement, gap > 0, evidence)


def combo_beats_batch_max_on_jump(results) -> Claim:
    name, statement = "table8_beyond_batch", "COMBO's return on halfcheetah-jump exceeds the best episode in the data (Table 8)."
    combo, batch = results.cell("table8", "halfcheetah-jump", "COMBO (Ours)"), results.cell("table8", "halfcheetah-jump", "Batch Max")
    if combo is None or batch is None:
        return Claim.not_run(name, statement, "halfcheetah-jump not run at this scale")
    return Claim.check(name, statement, combo.mean > batch.mean,
                       f"COMBO {combo.mean:.1f} ± {combo.std:.1f} vs batch max {batch.mean:.1f}")


CLAIMS = [_selection_claim(t) for t in SELECTION_TABLES] + [combo_beats_cql_mbpo_on_jump, combo_beats_batch_max_on_jump]

CLAIMS += THEORY_CLAIMS   # the numerical theory checks
