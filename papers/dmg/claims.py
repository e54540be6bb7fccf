"""DMG's qualitative claims (../shared/papers/dmg/notes.md), checked on whatever data our runs used.

Totals are sums of per-dataset means over the datasets every compared method ran; a claim whose cells are
absent at this scale is "not run". Sweeps (Figures 1-2) are read from results/dmg/sweeps.csv.
"""
from __future__ import annotations

import math

import pandas as pd
from scipy.stats import spearmanr

from shared.report import Claim

LOCOMOTION_LEVELS_SUBOPTIMAL = ("random", "medium", "medium-replay")
LOCOMOTION_LEVELS_NEAR_OPTIMAL = ("expert", "medium-expert")


def _means(results, artifact: str, method: str) -> dict[str, float]:
    """{setting: mean over seeds} of one method's cells in an artifact (totals rows excluded)."""
    df = results.df[(results.df["artifact"] == artifact) & (results.df["method"] == method)]
    return {s: results.cell(artifact, s, method).mean for s in sorted(set(df["setting"])) if "total" not in s}


def _common_totals(results, artifact: str, methods: list[str], locomotion_only: bool = False
                   ) -> tuple[dict[str, float], list[str]]:
    """Sum of per-dataset means for each method, over the datasets every one of them ran."""
    means = {m: _means(results, artifact, m) for m in methods}
    common = sorted(set.intersection(*(set(v) for v in means.values())))
    if locomotion_only:
        common = [s for s in common if not s.startswith("antmaze")]
    return {m: sum(means[m][s] for s in common) for m in methods}, common


def _fmt(totals: dict[str, float]) -> str:
    return ", ".join(f"{m} {v:.1f}" for m, v in totals.items())


def dmg_beats_iql_and_td3bc(results) -> Claim:
    name, statement = "table2_total", "DMG's locomotion total exceeds IQL's and TD3BC's (Table 2)."
    totals, common = _common_totals(results, "table2", ["DMG", "IQL", "TD3BC"], locomotion_only=True)
    if not common:
        return Claim.not_run(name, statement, "no locomotion dataset with DMG, IQL and TD3BC all run")
    holds = totals["DMG"] > totals["IQL"] and totals["DMG"] > totals["TD3BC"]
    return Claim.check(name, statement, holds, f"totals over {len(common)} datasets: {_fmt(totals)}")


def dmg_improves_in_sample_learners(results) -> Claim:
    name = "in_sample_plus_dmg"
    statement = "Adding DMG to an in-sample learner (IQL, XQL, SQL) raises its total (Tables 2-3)."
    pairs = [("table2", "IQL", "DMG"), ("table3", "XQL", "XQL+DMG"), ("table3", "SQL", "SQL+DMG")]
    evidence, outcomes = [], []
    for artifact, base, plus in pairs:
        totals, common = _common_totals(results, artifact, [base, plus], locomotion_only=True)
        if not common:
            continue
        outcomes.append(totals[plus] > totals[base])
        evidence.append(f"{base} {totals[base]:.1f} -> {plus} {totals[plus]:.1f} ({len(common)} datasets)")
    if not outcomes:
        return Claim.not_run(name, statement, "no in-sample learner run beside its +DMG variant")
    return Claim.check(name, statement, all(outcomes), "; ".join(evidence))


def dmg_gain_largest_on_suboptimal_data(results) -> Claim:
    name = "gain_on_suboptimal"
    statement = ("DMG's gain over IQL is larger on sub-optimal datasets (random, medium, medium-replay) than on "
                 "expert and medium-expert ones (Tables 2-3).")
    dmg, iql = _means(results, "table2", "DMG"), _means(results, "table2", "IQL")
    gains = {s: dmg[s] - iql[s] for s in set(dmg) & set(iql) if not s.startswith("antmaze")}

    def mean_gain(levels):
        values = [g for s, g in gains.items() if s.split("-", 1)[1] in levels]
        return sum(values) / len(values) if values else math.nan

    sub, near = mean_gain(LOCOMOTION_LEVELS_SUBOPTIMAL), mean_gain(LOCOMOTION_LEVELS_NEAR_OPTIMAL)
    if math.isnan(sub) or math.isnan(near):
        return Claim.not_run(name, statement, "needs DMG and IQL on both sub-optimal and near-optimal datasets")
    return Claim.check(name, statement, sub > near,
                       f"mean DMG - IQL gain: sub-optimal {sub:+.1f}, expert/medium-expert {near:+.1f}")


def _sweeps(results, kind: str) -> pd.DataFrame:
    path = results.dir / "sweeps.csv"
    if not path.exists() or path.stat().st_size <= 1:
        return pd.DataFrame()
    df = pd.read_csv(path)
    return df[df["sweep"] == kind]


def _q_trend(df: pd.DataFrame, increasing_in_value: bool) -> tuple[list[bool], list[str]]:
    """Per dataset: does the learned Q rise along the sweep? A diverged seed counts as Q = +inf."""
    outcomes, evidence = [], []
    for dataset, d in df.groupby("dataset"):
        q = d.assign(q=d["q"].where(~d["diverged"].astype(bool), math.inf)).groupby("value")["q"].median()
        order = q.index.values if increasing_in_value else -q.index.values
        rho = spearmanr(order, q.values).statistic
        outcomes.append(bool(rho > 0.5))
        evidence.append(f"{dataset}: Q by value " + ", ".join(f"{v:g}:{x:.3g}" for v, x in q.items())
                        + f" (Spearman {rho:+.2f})")
    return outcomes, evidence


def _moderate_best(df: pd.DataFrame) -> tuple[list[bool], list[str]]:
    """Per dataset: is the best mean score at an interior value of the sweep (diverged seeds score NaN)?"""
    outcomes, evidence = [], []
    for dataset, d in df.groupby("dataset"):
        score = d.groupby("value")["score"].mean()
        best = score.idxmax()
        outcomes.append(bool(score.index.min() < best < score.index.max()))
        diverged = int(d["diverged"].astype(bool).sum())
        evidence.append(f"{dataset}: best {best:g} (" + ", ".join(f"{v:g}:{s:.1f}" for v, s in score.items())
                        + f"; {diverged} diverged seeds)")
    return outcomes, evidence


def _sweep_claim(results, name: str, statement: str, kind: str, judge) -> Claim:
    """A claim over one sweep (`kind` lambda or nu): holds when `judge` holds on every swept dataset."""
    df = _sweeps(results, kind)
    if df.empty:
        return Claim.not_run(name, statement, f"no {kind} sweep at this scale")
    outcomes, evidence = judge(df)
    return Claim.check(name, statement, all(outcomes), "; ".join(evidence))


def q_grows_with_lambda(results) -> Claim:
    return _sweep_claim(results, "lambda_q", "Learned Q grows with lambda and diverges near lambda = 1 (Figure 1).",
                        "lambda", lambda df: _q_trend(df, increasing_in_value=True))


def moderate_lambda_best(results) -> Claim:
    return _sweep_claim(results, "lambda_score", "A moderate lambda scores best (Figure 1).", "lambda", _moderate_best)


def q_grows_as_nu_shrinks(results) -> Claim:
    return _sweep_claim(results, "nu_q", "Learned Q grows as nu shrinks (Figure 2).",
                        "nu", lambda df: _q_trend(df, increasing_in_value=False))


def moderate_nu_best(results) -> Claim:
    return _sweep_claim(results, "nu_score", "A moderate nu scores best (Figure 2).", "nu", _moderate_best)


def finetuning_improves_dmg(results) -> Claim:
    name = "finetune"
    statement = "Offline-to-online: DMG fine-tunes above its offline score and above IQL's fine-tuned score (Table 4)."
    methods = ["DMG (offline)", "DMG (online)", "IQL (online)"]
    totals, common = _common_totals(results, "table4", methods)
    if not common:
        return Claim.not_run(name, statement, "no fine-tuning runs at this scale")
    holds = totals["DMG (online)"] > totals["DMG (offline)"] and totals["DMG (online)"] > totals["IQL (online)"]
    return Claim.check(name, statement, holds, f"over {', '.join(common)}: {_fmt(totals)}")


CLAIMS = [dmg_beats_iql_and_td3bc, dmg_improves_in_sample_learners, dmg_gain_largest_on_suboptimal_data,
          q_grows_with_lambda, moderate_lambda_best, q_grows_as_nu_shrinks, moderate_nu_best,
          finetuning_improves_dmg]
