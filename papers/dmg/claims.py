"""DMG's qualitative claims (../shared/papers/dmg/notes.md), checked on whatever data our runs used.

Totals are sums of per-dataset scores over the datasets every compared method ran, per seed; a claim whose
cells are absent at this scale is "not run". Sweeps (Figures 1-2) are read from results/dmg/sweeps.csv. Every
comparison goes through shared.report.stats.compare (Welch's t-test on per-seed values, at least MIN_EFFECT
normalised points), so a difference within the seeds' noise makes a claim inconclusive, not hold or fail.
"""
from __future__ import annotations

import math

import pandas as pd
from scipy.stats import spearmanr

from shared.report import Claim
from shared.report.stats import compare

LOCOMOTION_LEVELS_SUBOPTIMAL = ("random", "medium", "medium-replay")
LOCOMOTION_LEVELS_NEAR_OPTIMAL = ("expert", "medium-expert")
MIN_EFFECT = 1.0  # normalised points: the diff's absolute floor; a smaller gap in a score is never a finding


def _settings(results, artifact: str, method: str) -> set[str]:
    df = results.df[(results.df["artifact"] == artifact) & (results.df["method"] == method)]
    return {s for s in df["setting"] if "total" not in s}


def _per_seed(results, artifact: str, method: str, settings) -> dict[int, float]:
    """{seed: sum of the method's scores over `settings`} for the seeds that ran all of them (NaN if one of a
    seed's runs diverged)."""
    cells = [results.cell(artifact, s, method) for s in settings]
    seeds = sorted(set.intersection(*(set(c.seed_ids) for c in cells))) if cells else []
    return {seed: float(sum(c.values[c.seed_ids.index(seed)] for c in cells)) for seed in seeds}


def _common(results, artifact: str, methods: list[str], locomotion_only: bool = False) -> list[str]:
    """The datasets every one of `methods` ran (AntMaze left out with locomotion_only)."""
    common = sorted(set.intersection(*(_settings(results, artifact, m) for m in methods)))
    return [s for s in common if not (locomotion_only and s.startswith("antmaze"))]


def _totals(results, artifact: str, methods: list[str], common: list[str]) -> dict[str, list[float]]:
    """Per-seed totals over `common` for each method."""
    return {m: list(_per_seed(results, artifact, m, common).values()) for m in methods}


def _beats(totals: dict[str, list[float]], winner: str, loser: str):
    """(Comparison, direction, labels): `winner`'s total above `loser`'s, for Claim.from_comparisons."""
    return compare(totals[winner], totals[loser], min_effect=MIN_EFFECT), "greater", (winner, loser)


def dmg_beats_iql_and_td3bc(results) -> Claim:
    name, statement = "table2_total", "DMG's locomotion total exceeds IQL's and TD3BC's (Table 2)."
    methods = ["DMG", "IQL", "TD3BC"]
    common = _common(results, "table2", methods, locomotion_only=True)
    if not common:
        return Claim.not_run(name, statement, "no locomotion dataset with DMG, IQL and TD3BC all run")
    totals = _totals(results, "table2", methods, common)
    return Claim.from_comparisons(name, statement, [_beats(totals, "DMG", "IQL"), _beats(totals, "DMG", "TD3BC")],
                                  prefix=f"totals over {len(common)} datasets: ")


def dmg_improves_in_sample_learners(results) -> Claim:
    name = "in_sample_plus_dmg"
    statement = "Adding DMG to an in-sample learner (IQL, XQL, SQL) raises its total (Tables 2-3)."
    pairs = [("table2", "IQL", "DMG"), ("table3", "XQL", "XQL+DMG"), ("table3", "SQL", "SQL+DMG")]
    parts = []
    for artifact, base, plus in pairs:
        common = _common(results, artifact, [base, plus], locomotion_only=True)
        if common:
            totals = _totals(results, artifact, [base, plus], common)
            parts.append(Claim.from_comparisons(name, statement, [_beats(totals, plus, base)],
                                                prefix=f"totals over {len(common)} datasets: "))
    if not parts:
        return Claim.not_run(name, statement, "no in-sample learner run beside its +DMG variant")
    return Claim.combine(name, statement, parts)


def dmg_gain_largest_on_suboptimal_data(results) -> Claim:
    name = "gain_on_suboptimal"
    statement = ("DMG's gain over IQL is larger on sub-optimal datasets (random, medium, medium-replay) than on "
                 "expert and medium-expert ones (Tables 2-3).")
    common = _common(results, "table2", ["DMG", "IQL"], locomotion_only=True)

    def per_seed_gain(levels) -> list[float]:
        """Per seed: mean over the datasets of `levels` of DMG's score minus IQL's (same seed id)."""
        chosen = [s for s in common if s.split("-", 1)[1] in levels]
        if not chosen:
            return []
        dmg, iql = (_per_seed(results, "table2", m, chosen) for m in ("DMG", "IQL"))
        return [(dmg[k] - iql[k]) / len(chosen) for k in sorted(set(dmg) & set(iql))]

    sub, near = per_seed_gain(LOCOMOTION_LEVELS_SUBOPTIMAL), per_seed_gain(LOCOMOTION_LEVELS_NEAR_OPTIMAL)
    if not sub or not near:
        return Claim.not_run(name, statement, "needs DMG and IQL on both sub-optimal and near-optimal datasets")
    comparison = compare(sub, near, min_effect=MIN_EFFECT)
    return Claim.from_comparisons(name, statement, [(comparison, "greater", ("sub-optimal", "expert/medium-expert"))],
                                  prefix="mean DMG - IQL gain per dataset: ")


def _sweeps(results, kind: str) -> pd.DataFrame:
    path = results.dir / "sweeps.csv"
    if not path.exists() or path.stat().st_size <= 1:
        return pd.DataFrame()
    df = pd.read_csv(path)
    return df[df["sweep"] == kind]


def _order(a: pd.DataFrame, b: pd.DataFrame, column: str, diverged_is_high: bool, labels: tuple[str, str],
           min_effect: float = 0.0) -> tuple[str | None, str]:
    """Is `column` of sweep rows `a` above that of `b` beyond noise ("greater" / "less" / None, and the evidence)?
    A diverged seed is an extreme (Q = +inf, score = -inf): a side with diverged seeds is beyond one without;
    otherwise stats.compare on the seeds' values."""
    a_div, b_div = (int(rows["diverged"].astype(bool).sum()) for rows in (a, b))
    if a_div or b_div:
        decided = None if a_div and b_div else ("greater" if (a_div > 0) == diverged_is_high else "less")
        return decided, f"{labels[0]} vs {labels[1]}: diverged seeds {a_div} vs {b_div}"
    comparison = compare(a[column], b[column], min_effect=min_effect)
    return comparison.decided, comparison.text(*labels)


def _verdict(decisions: list[str | None], wanted: str = "greater") -> str:
    """fail if a decision goes against `wanted`, else inconclusive if one is within noise, else hold."""
    if any(d is not None and d != wanted for d in decisions):
        return "fail"
    return "inconclusive" if None in decisions else "hold"


def _q_trend(df: pd.DataFrame, increasing_in_value: bool) -> list[Claim]:
    """Per dataset: does the learned Q rise along the sweep? hold when Q at the far end is above Q at the near
    end beyond noise and no step between neighbouring values goes down beyond noise; fail when the far end is
    below the near end beyond noise; inconclusive otherwise."""
    parts = []
    for dataset, d in df.groupby("dataset"):
        values = sorted(set(d["value"]), reverse=not increasing_in_value)  # along the direction Q should rise
        rows = {v: d[d["value"] == v] for v in values}
        ends, ends_text = _order(rows[values[-1]], rows[values[0]], "q", True, (f"Q({values[-1]:g})", f"Q({values[0]:g})"))
        downs = [f"{a:g} -> {b:g}" for a, b in zip(values, values[1:])
                 if _order(rows[b], rows[a], "q", True, ("", ""))[0] == "less"]
        verdict = "fail" if ends == "less" else _verdict([ends]) if not downs else "inconclusive"
        q = d.assign(q=d["q"].where(~d["diverged"].astype(bool), math.inf)).groupby("value")["q"].median()
        rho = spearmanr(q.index.values if increasing_in_value else -q.index.values, q.values).statistic
        evidence = (f"{dataset}: median Q by value " + ", ".join(f"{v:g}:{x:.3g}" for v, x in q.items())
                    + f" (Spearman {rho:+.2f}); {ends_text}" + (f"; significant drops {', '.join(downs)}" if downs else ""))
        parts.append(Claim("q_trend", dataset, verdict, evidence))
    return parts


def _moderate_best(df: pd.DataFrame) -> list[Claim]:
    """Per dataset: does the best interior value of the sweep (by mean score over the seeds that did not diverge)
    score above both ends beyond noise? fail when an end scores above it beyond noise."""
    parts = []
    for dataset, d in df.groupby("dataset"):
        values = sorted(set(d["value"]))
        score = d[~d["diverged"].astype(bool)].groupby("value")["score"].mean().reindex(values)
        diverged = int(d["diverged"].astype(bool).sum())
        summary = (f"{dataset}: mean score " + ", ".join(f"{v:g}:{x:.2f}" for v, x in score.items())
                   + f" ({diverged} diverged seeds)")
        interior = score.loc[values[1:-1]].dropna()
        if interior.empty:
            parts.append(Claim.not_run("moderate_best", dataset, f"{summary}: no interior value with a score"))
            continue
        best = interior.idxmax()
        rows = {v: d[d["value"] == v] for v in values}
        orders = [_order(rows[best], rows[end], "score", False, (f"{best:g}", f"{end:g}"), MIN_EFFECT)
                  for end in (values[0], values[-1])]
        evidence = f"{summary}; best interior {best:g}: " + "; ".join(text for _, text in orders)
        parts.append(Claim("moderate_best", dataset, _verdict([decided for decided, _ in orders]), evidence))
    return parts


def _sweep_claim(results, name: str, statement: str, kind: str, judge) -> Claim:
    """A claim over one sweep (`kind` lambda or nu), combined over the swept datasets' verdicts from `judge`."""
    df = _sweeps(results, kind)
    if df.empty:
        return Claim.not_run(name, statement, f"no {kind} sweep at this scale")
    return Claim.combine(name, statement, judge(df))


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
    common = _common(results, "table4", methods)
    if not common:
        return Claim.not_run(name, statement, "no fine-tuning runs at this scale")
    totals = _totals(results, "table4", methods, common)
    return Claim.from_comparisons(name, statement, [_beats(totals, "DMG (online)", "DMG (offline)"),
                                                    _beats(totals, "DMG (online)", "IQL (online)")],
                                  prefix=f"over {', '.join(common)}: ")


CLAIMS = [dmg_beats_iql_and_td3bc, dmg_improves_in_sample_learners, dmg_gain_largest_on_suboptimal_data,
          q_grows_with_lambda, moderate_lambda_best, q_grows_as_nu_shrinks, moderate_nu_best,
          finetuning_improves_dmg]


# ---- the theory, numerically (results/dmg/theory/, papers/dmg/theory.py) --------------------------------------

THEORY_TOLERANCE = 1e-9  # float64 rounding on values of order 1 / (1 - gamma)


def _theory_claim(results, name: str, statement: str, table: str, judge) -> Claim:
    """A claim over results/dmg/theory/<table>.csv: `judge(df)` gives (holds or a verdict, evidence)."""
    path = results.dir / "theory" / f"{table}.csv"
    if not path.is_file():
        return Claim.not_run(name, statement, f"{path.parent} not made (rule dmg_theory)")
    outcome, evidence = judge(pd.read_csv(path))
    return Claim(name, statement, outcome, evidence) if isinstance(outcome, str) else \
        Claim.check(name, statement, outcome, evidence)


def _contraction(operator: str, support: str):
    def judge(df):
        d = df[df["operator"] == operator]
        worst, gamma = d["max_ratio"].max(), d["gamma"].iloc[0]
        return worst <= gamma + THEORY_TOLERANCE, (
            f"{d['mdp'].nunique()} random MDPs x {d.groupby(['epsilon', 'lam']).ngroups} (epsilon, lambda), sup norm "
            f"over the {support} support: largest ||T Q1 - T Q2|| / ||Q1 - Q2|| {worst:.6f} vs gamma {gamma:g}")
    return judge


def lemma1_contraction(results) -> Claim:
    return _theory_claim(results, "lemma1_contraction", "Lemma 1: T_In is a gamma-contraction on the in-sample "
                         "support (sup norm).", "contraction", _contraction("T_In", "in-sample"))


def theorem2_contraction(results) -> Claim:
    return _theory_claim(results, "theorem2_contraction", "Theorem 2: T_DMG is a gamma-contraction on the mildly "
                         "generalised support (sup norm).", "contraction", _contraction("T_DMG", "mildly generalised"))


def _performance(df):
    worst, q_gap = df["min_value_gap"].min(), df["min_q_gap_on_data"].min()
    return worst >= -THEORY_TOLERANCE and q_gap >= -THEORY_TOLERANCE, (
        f"{len(df)} (MDP, epsilon, lambda): min over states of V^pi_DMG - V^pi_In {worst:.3g}; min Q*_DMG - Q*_In "
        f"on the data {q_gap:.3g}; mean value gain {df['mean_value_gap'].mean():.3g}")


def theorem3_performance(results) -> Claim:
    return _theory_claim(results, "theorem3_performance", "Theorem 3: under oracle generalisation the greedy policy "
                         "of DMG's fixed point is at least as good as the in-sample optimal policy in every state.",
                         "performance", _performance)


def _overestimation(df):
    within = (df["min_gap"] >= -THEORY_TOLERANCE).all() and (df["max_gap"] <= df["bound"] + THEORY_TOLERANCE).all()
    last = df[df["k"] == df["k"].max()].pivot(index="epsilon", columns="lam", values="max_gap")
    tightens = bool((last.diff(axis=0).iloc[1:] >= -THEORY_TOLERANCE).all().all()
                    and (last.diff(axis=1).iloc[:, 1:] >= -THEORY_TOLERANCE).all().all())
    ratio = (df["max_gap"] / df["bound"]).where(df["bound"] > 0).max()
    return bool(within and tightens), (
        f"{len(df)} (epsilon, lambda, k): bound respected {bool(within)}; overestimation non-decreasing in epsilon "
        f"and lambda {tightens}; largest measured / bound {ratio:.3f}; K_Q {df['k_q'].iloc[0]:.3g}")


def theorem4_overestimation(results) -> Claim:
    return _theory_claim(results, "theorem4_overestimation", "Theorem 4: with a K_Q-Lipschitz learned Q and "
                         "worst-case generalisation, Q_In^k <= Q_DMG^k <= Q_In^k + lambda eps K_Q gamma (1 - gamma^k) "
                         "/ (1 - gamma), and the overestimation shrinks with epsilon and lambda.", "overestimation",
                         _overestimation)


def _toy_trend(df):
    """The toy's learned Q per lambda, judged as Figure 1's lambda_q claim (diverged seeds count as Q = +inf)."""
    part = Claim.combine("toy", "", _q_trend(df.rename(columns={"lam": "value"}).assign(dataset="toy"), True))
    return part.verdict, part.evidence


def figure1_toy_q_grows(results) -> Claim:
    return _theory_claim(results, "toy_lambda_q", "Figure 1's mechanism on a toy (neural Q, generalised max over "
                         "out-of-distribution actions): learned Q grows with lambda.", "figure1_toy", _toy_trend)


def _toy_divergence(df):
    at_one, at_low = df[df["lam"] == df["lam"].max()], df[df["lam"] == df["lam"].min()]
    verdict = ("hold" if at_one["diverged"].all() and not at_low["diverged"].any() else
               "fail" if not at_one["diverged"].any() else "inconclusive")
    return verdict, (f"diverged seeds: lambda {at_one['lam'].iloc[0]:g}: {int(at_one['diverged'].sum())}/{len(at_one)}, "
                     f"lambda {at_low['lam'].iloc[0]:g}: {int(at_low['diverged'].sum())}/{len(at_low)}; learned Q at "
                     "lambda 1: " + ", ".join(f"{q:.3g}" for q in at_one["q"]) + " (largest possible value 10)")


def figure1_toy_diverges_at_one(results) -> Claim:
    return _theory_claim(results, "toy_diverges_at_lambda_1", "Figure 1's mechanism on a toy: training diverges at "
                         "lambda = 1 and not at the smallest lambda (|mean Q| > 10 x max|r| / (1 - gamma)).",
                         "figure1_toy", _toy_divergence)


CLAIMS += [lemma1_contraction, theorem2_contraction, theorem3_performance, theorem4_overestimation,
           figure1_toy_q_grows, figure1_toy_diverges_at_one]
