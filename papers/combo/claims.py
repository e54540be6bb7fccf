"""COMBO's qualitative claims (../shared/papers/combo/notes.md Sec. 7), checked on whatever data our runs used.

Every comparison goes through the shared rule (shared.report.stats.compare: Welch's t-test on per-seed values,
two-sided, alpha 0.05, at least MIN_EFFECT), so a claim whose deciding differences are within the seeds' noise is
inconclusive, never hold or fail; a claim whose cells are absent at this scale is "not run".

- The selection rule (Tables 4-7, B.2): among a table's candidates for one dataset, the one with the lowest
  conservative regulariser (mean over seeds) should score highest. Per dataset that candidate's per-seed scores are
  compared with every other candidate's (at least 1 normalised point): hold when it scores above all of them beyond
  noise, fail when one scores above it beyond noise, inconclusive otherwise. A table combines its datasets
  (Claim.combine), so a table whose candidates are within noise of each other is inconclusive. The rank statistic
  (datasets where the lowest regulariser has the highest mean score, and Kendall's tau between -regulariser and
  mean score over the candidate pairs of each dataset, pooled over the table) is reported as evidence only: on
  means it cannot tell a finding from seed noise. `selection_rule` combines the tables that were run.
- Table 8 (halfcheetah-jump, raw returns): COMBO's per-seed returns against CQL+MBPO's, and against the data's
  best episode (one value, no spread: Welch's test then reduces to a one-sample t-test of COMBO's seeds). Raw
  returns have no normalised-point floor, so only the rule's float-rounding floor applies.
"""
from __future__ import annotations

import itertools

from papers.combo.theory_claims import THEORY_CLAIMS
from shared.report import Claim
from shared.report.stats import compare

SELECTION_TABLES = {"table4": "beta", "table5": "mu(a|s)", "table6": "rho(s)", "table7": "f"}
MIN_EFFECT = 1.0  # normalised points: the diff's absolute floor; a smaller gap in a score is never a finding
JUMP = "halfcheetah-jump"


def _candidates(results, table: str) -> dict[str, dict[str, tuple]]:
    """{dataset: {candidate: (score cell, regulariser cell)}} of the candidates we ran."""
    df = results.df[results.df["artifact"] == table]
    out: dict[str, dict[str, tuple]] = {}
    for setting, method in df[["setting", "method"]].drop_duplicates().itertuples(index=False):
        score, reg = results.cell(table, setting, method), results.cell(f"{table}_reg", setting, method)
        if score is not None and reg is not None:
            out.setdefault(setting, {})[method] = (score, reg)
    return {s: c for s, c in out.items() if len(c) >= 2}


def selection_rule_statistics(per_dataset: dict[str, dict[str, tuple[float, float]]]):
    """The rank statistic on means: per_dataset {dataset: {candidate: (score mean, regulariser mean)}} ->
    (datasets where the lowest regulariser has the highest score, datasets, Kendall tau(-regulariser, score) over
    the within-dataset candidate pairs, one 'picked / best' line per dataset)."""
    agree, concordant, discordant, lines = 0, 0, 0, []
    for dataset, cands in sorted(per_dataset.items()):
        picked = min(cands, key=lambda c: cands[c][1])
        best = max(cands, key=lambda c: cands[c][0])
        for a, b in itertools.combinations(cands, 2):
            sign = (cands[a][0] - cands[b][0]) * (cands[b][1] - cands[a][1])
            concordant, discordant = concordant + (sign > 0), discordant + (sign < 0)
        agree += picked == best
        lines.append(f"{dataset}: picked {picked}, best {best}")
    pairs = concordant + discordant
    tau = (concordant - discordant) / pairs if pairs else float("nan")
    return agree, len(per_dataset), tau, lines


def _dataset_claim(name: str, statement: str, dataset: str, cands: dict[str, tuple]) -> Claim:
    """Does the lowest-regulariser candidate of `dataset` score above every other candidate beyond noise?"""
    picked = min(cands, key=lambda c: cands[c][1].mean)
    means = "; ".join(f"{c}: score {s.mean:.2f} ± {s.std:.2f}, reg {r.mean:.3g}" for c, (s, r) in cands.items())
    comparisons = [(compare(cands[picked][0].values, score.values, min_effect=MIN_EFFECT), "greater", (picked, other))
                   for other, (score, _) in cands.items() if other != picked]
    return Claim.from_comparisons(name, statement, comparisons, prefix=f"{dataset} [{means}]: ")


def _selection_claim(table: str):
    factor = SELECTION_TABLES[table]

    def check(results) -> Claim:
        name = f"{table}_selection_rule"
        statement = (f"{table.capitalize()}: the candidate {factor} with the lowest regulariser value has the highest "
                     "return (offline selection rule).")
        cands = _candidates(results, table)
        if not cands:
            return Claim.not_run(name, statement, f"no dataset with two {factor} candidates run at this scale")
        agree, rows, tau, lines = selection_rule_statistics(
            {d: {c: (s.mean, r.mean) for c, (s, r) in cs.items()} for d, cs in cands.items()})
        parts = [_dataset_claim(name, statement, d, cs) for d, cs in sorted(cands.items())]
        return Claim.combine(name, statement, parts, prefix=(
            f"rank statistic on means: {agree}/{rows} datasets' lowest regulariser scores highest "
            f"({', '.join(lines)}), Kendall tau(-reg, score) = {tau:+.2f}; per dataset, lowest regulariser vs the "
            "others: "))

    check.__name__ = f"{table}_selection_rule"
    return check


SELECTION_CLAIMS = [_selection_claim(t) for t in SELECTION_TABLES]


def selection_rule(results) -> Claim:
    name, statement = "selection_rule", "The offline selection rule holds in every table run (Tables 4-7)."
    run = [claim for claim in (check(results) for check in SELECTION_CLAIMS) if claim.verdict != "not run"]
    if not run:
        return Claim.not_run(name, statement, "no selection table with two candidates run at this scale")
    return Claim.combine(name, statement, [Claim(c.name, c.statement, c.verdict, f"{c.name.split('_')[0]} {c.verdict}")
                                           for c in run])


def _jump_claim(name: str, statement: str, results, rival: str) -> Claim:
    """COMBO's per-seed halfcheetah-jump returns above `rival`'s (Table 8)."""
    combo, other = results.cell("table8", JUMP, "COMBO (Ours)"), results.cell("table8", JUMP, rival)
    if combo is None or other is None:
        return Claim.not_run(name, statement, f"{JUMP} not run at this scale")
    # the data's best episode is one exact value: as many copies as COMBO has seeds, with no spread
    values = [other.mean] * len(combo.values) if rival == "Batch Max" else other.values
    return Claim.compare(name, statement, combo.values, values, "greater", labels=("COMBO", rival))


def combo_beats_cql_mbpo_on_jump(results) -> Claim:
    return _jump_claim("table8_combo_vs_cql_mbpo", f"COMBO's return on {JUMP} exceeds CQL+MBPO's (Table 8).",
                       results, "CQL+MBPO")


def combo_beats_batch_max_on_jump(results) -> Claim:
    return _jump_claim("table8_beyond_batch", f"COMBO's return on {JUMP} exceeds the best episode in the data "
                       "(Table 8).", results, "Batch Max")


CLAIMS = SELECTION_CLAIMS + [selection_rule, combo_beats_cql_mbpo_on_jump, combo_beats_batch_max_on_jump]

CLAIMS += THEORY_CLAIMS   # the numerical theory checks
