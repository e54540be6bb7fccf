"""The paper's qualitative claims (Sec. 6.2, App. 12.3) as checks over our ours.csv.

Every check compares means over runs of Regret(K) (cumulative expected regret at the last episode) and states
its tolerance in the statement. A claim whose cells were not run at this scale is "not run". The Fig. 2(d) claims
compare per run (paired t-test, shared.report.stats.compare), so a gap within the runs' noise is inconclusive.
"""
from __future__ import annotations

import pandas as pd

from shared.report import Claim
from shared.report.stats import compare

UCRL, COMPLETE, OPTIMAL, PESSIMISTIC = "UCRL", "COMPLETE", "O-O UCRL-VTR (Optimal)", "O-O UCRL-VTR (Pessimistic)"


def _sweep(results, artifact: str, method: str, rule: str = "") -> pd.Series | None:
    """Mean Regret(K) of `method` over the sweep points of `artifact`, indexed by the swept value (sorted)."""
    df = results.df
    rows = df[(df["artifact"] == artifact) & (df["method"] == method) & ~df["diverged"]]
    if rule:
        rows = rows[rows["setting"].str.startswith(rule + " ")]
    if rows.empty:
        return None
    means = rows.groupby("setting")["value"].mean()
    means.index = [float(s.rsplit("=", 1)[1]) for s in means.index]
    return means.sort_index()


def _paired(a, b, factor: float) -> tuple[list[float], list[float]]:
    """Per-run values of cells a and b (CellStats) on the runs both have, b scaled by `factor`: the runs share
    their MDP and random streams (common random numbers), so the comparison is paired."""
    runs = sorted(set(a.seed_ids) & set(b.seed_ids))
    return ([a.values[a.seed_ids.index(r)] for r in runs], [factor * b.values[b.seed_ids.index(r)] for r in runs])


def _need(*series) -> bool:
    return all(s is not None and len(s) >= 2 for s in series)


def _fmt(series: pd.Series) -> str:
    return ", ".join(f"{x:g}: {v:.3g}" for x, v in series.items())


def offline_data_help_when_shift_small_and_coverage_good(results) -> Claim:
    statement = ("Offline data help when the shift is small and coverage good: O-O's Regret(K) <= 0.6 x UCRL's "
                 "at every Delta <= 0.1 of Fig. 2(a) and at the largest tau of Fig. 2(c).")
    ours, online = _sweep(results, "fig2a", OPTIMAL), _sweep(results, "fig2a", UCRL)
    ours_c, online_c = _sweep(results, "fig2c", OPTIMAL), _sweep(results, "fig2c", UCRL)
    if not _need(ours, online, ours_c, online_c):
        return Claim.not_run("offline_data_help", statement, "fig2a/fig2c not run")
    small = ours.index[ours.index <= 0.1]
    ratios = (ours[small] / online[small]).round(2)
    tau_ratio = ours_c.iloc[-1] / online_c.iloc[-1]
    holds = bool((ratios <= 0.6).all() and tau_ratio <= 0.6)
    return Claim.check("offline_data_help", statement, holds,
                       f"O-O/UCRL at Delta {_fmt(ratios)}; at tau={ours_c.index[-1]:g}: {tau_ratio:.2f}")


def matches_online_only_when_shift_large(results) -> Claim:
    statement = "O-O matches online-only when the shift is large: at Delta >= 1 (Fig. 2(a)), O-O/UCRL in [0.9, 1.05]."
    ours, online = _sweep(results, "fig2a", OPTIMAL), _sweep(results, "fig2a", UCRL)
    if not _need(ours, online) or not (ours.index >= 1).any():
        return Claim.not_run("safeguard", statement, "fig2a with Delta >= 1 not run")
    large = ours.index[ours.index >= 1]
    ratios = ours[large] / online[large]
    return Claim.check("safeguard", statement, bool(((ratios >= 0.9) & (ratios <= 1.05)).all()),
                       f"O-O/UCRL at Delta {_fmt(ratios.round(3))}")


def naive_pooling_degrades_with_shift(results) -> Claim:
    statement = ("Naive pooling degrades with the shift: COMPLETE's Regret(K) at the largest Delta of Fig. 2(a) is "
                 "> 2 x its value at the smallest Delta and > UCRL's.")
    pooled, online = _sweep(results, "fig2a", COMPLETE), _sweep(results, "fig2a", UCRL)
    if not _need(pooled, online):
        return Claim.not_run("pooling_degrades", statement, "fig2a not run")
    holds = pooled.iloc[-1] > 2 * pooled.iloc[0] and pooled.iloc[-1] > online.iloc[-1]
    return Claim.check("pooling_degrades", statement, holds,
                       f"COMPLETE at Delta {_fmt(pooled)}; UCRL {online.iloc[-1]:.1f}")


def regret_falls_with_offline_sample_size(results) -> Claim:
    statement = ("O-O's regret falls as M_off grows (Fig. 2(b)): no step up by more than 5% of UCRL's Regret(K), "
                 "and Regret(K) at the largest M_off <= 0.5 x at the smallest.")
    ours, online = _sweep(results, "fig2b", OPTIMAL), _sweep(results, "fig2b", UCRL)
    if not _need(ours, online):
        return Claim.not_run("falls_with_m_off", statement, "fig2b not run")
    worst_rise = float(ours.diff().max())
    holds = worst_rise <= 0.05 * online.mean() and ours.iloc[-1] <= 0.5 * ours.iloc[0]
    return Claim.check("falls_with_m_off", statement, holds,
                       f"O-O at M_off {_fmt(ours)}; largest step up {worst_rise:.1f} (UCRL {online.mean():.1f})")


def never_much_above_the_better_of_online_and_pooling(results) -> Claim:
    statement = ("Our extrapolation, not a sentence of the paper (its safeguard is stated against UCRL only, "
                 "line 93): O-O's Regret(K) is never much above min(UCRL, COMPLETE): <= 1.2 x min + 5 at every "
                 "sweep point of Figs. 2(a), 2(b), 2(c). Decomposition of the gap at M_off = 5e5 in "
                 "results/oo_lmdp/sensitivity/never_much_above_min.md.")
    comparisons = []
    for artifact in ("fig2a", "fig2b", "fig2c"):
        settings = sorted(set(results.df.loc[results.df["artifact"] == artifact, "setting"]))
        for setting in settings:
            cells = {m: results.cell(artifact, setting, m) for m in (OPTIMAL, UCRL, COMPLETE)}
            if any(c is None for c in cells.values()):
                continue
            best = min((UCRL, COMPLETE), key=lambda m: cells[m].mean)
            ours, scaled = _paired(cells[OPTIMAL], cells[best], 1.2)
            comparison = compare(ours, [x + 5 for x in scaled], paired=True)
            comparisons.append((f"{artifact} {setting}", best, comparison))
    if not comparisons:
        return Claim.not_run("never_much_above_min", statement, "figs 2(a)-(c) not run")
    decided = [c.decided for _, _, c in comparisons]
    verdict = "fail" if "greater" in decided else "inconclusive" if None in decided else "hold"
    others = [f"{point}: {c.text('O-O', f'1.2 x {best} + 5')}" for point, best, c in comparisons if c.decided != "less"]
    return Claim("never_much_above_min", statement, verdict,
                 f"{len(comparisons)} points, paired per run; {decided.count('less')} below beyond noise; "
                 + ("; ".join(others) if others else "none above"))


def complete_non_monotone_in_m_off(results) -> Claim:
    statement = ("COMPLETE's regret first rises then falls with M_off (Fig. 2(b)): its maximum is at an interior "
                 "M_off and exceeds both ends by >= 10%.")
    pooled = _sweep(results, "fig2b", COMPLETE)
    if not _need(pooled) or len(pooled) < 3:
        return Claim.not_run("complete_non_monotone", statement, "fig2b not run with >= 3 points")
    peak = pooled.idxmax()
    holds = peak not in (pooled.index[0], pooled.index[-1]) and pooled.max() >= 1.1 * max(pooled.iloc[0], pooled.iloc[-1])
    return Claim.check("complete_non_monotone", statement, holds, f"COMPLETE at M_off {_fmt(pooled)}")


def coverage_advantage_grows(results) -> Claim:
    statement = ("The advantage of O-O over UCRL grows with tau (Fig. 2(c)): UCRL - O-O at the largest tau > at the "
                 "smallest, and O-O < UCRL already at the smallest tau.")
    ours, online = _sweep(results, "fig2c", OPTIMAL), _sweep(results, "fig2c", UCRL)
    if not _need(ours, online):
        return Claim.not_run("coverage_advantage", statement, "fig2c not run")
    gap = online - ours
    return Claim.check("coverage_advantage", statement, bool(gap.iloc[-1] > gap.iloc[0] > 0),
                       f"UCRL - O-O at tau {_fmt(gap)}")


def optimal_design_beats_pessimistic(results) -> Claim:
    statement = "Fig. 2(d): O-O (Optimal) has lower Regret(K=10000) than O-O (Pessimistic), by >= 20%."
    optimal, pessimistic = (results.cell("fig2d", "K=10000", m) for m in (OPTIMAL, PESSIMISTIC))
    if optimal is None or pessimistic is None:
        return Claim.not_run("optimal_beats_pessimistic", statement, "fig2d (K=10000) not run")
    optimal_runs, scaled = _paired(optimal, pessimistic, 0.8)
    return Claim.compare("optimal_beats_pessimistic", statement, optimal_runs, scaled, "less",
                         ("Optimal", "0.8 x Pessimistic"), paired=True)


def both_designs_beat_online_only(results) -> Claim:
    statement = "Fig. 2(d): both O-O variants have lower Regret(K=10000) than UCRL, each by >= 5%."
    cells = {m: results.cell("fig2d", "K=10000", m) for m in (UCRL, OPTIMAL, PESSIMISTIC)}
    if any(c is None for c in cells.values()):
        return Claim.not_run("designs_beat_ucrl", statement, "fig2d (K=10000) not run")
    comparisons = []
    for method, label in ((OPTIMAL, "Optimal"), (PESSIMISTIC, "Pessimistic")):
        ours, scaled = _paired(cells[method], cells[UCRL], 0.95)
        comparisons.append((compare(ours, scaled, paired=True), "less", (label, "0.95 x UCRL")))
    return Claim.from_comparisons("designs_beat_ucrl", statement, comparisons)


def shift_over_coverage_decides(results) -> Claim:
    statement = ("Fig. 3: along Delta = 0.5 tau, O-O stays below 0.9 x UCRL at every tau >= 0.01; along "
                 "Delta = 5000 tau^3 it is >= 0.9 x UCRL at every tau >= 0.1.")
    online = _sweep(results, "fig3", UCRL, "linear")
    linear, cubic = _sweep(results, "fig3", OPTIMAL, "linear"), _sweep(results, "fig3", OPTIMAL, "cubic")
    if not _need(online, linear, cubic):
        return Claim.not_run("delta_over_tau", statement, "fig3 not run")
    lin_ratio, cub_ratio = (linear / online).round(2), (cubic / online).round(2)
    holds = (lin_ratio[lin_ratio.index >= 0.01] < 0.9).all() and (cub_ratio[cub_ratio.index >= 0.1] >= 0.9).all()
    return Claim.check("delta_over_tau", statement, bool(holds),
                       f"O-O/UCRL linear: {_fmt(lin_ratio)}; cubic: {_fmt(cub_ratio)}")


def tabular_baselines(results) -> Claim:
    statement = ("Fig. 4: DP-LSVI and UCBVI beat UCRL at the smallest Delta of 4(a); O-O beats DP-LSVI at the "
                 "largest Delta of 4(a) and UCBVI at the largest M_off of 4(b) (our reading of 'large Delta in 4(a) "
                 "and large M_off in 4(b)').")
    sweeps = {m: _sweep(results, "fig4a", m) for m in (UCRL, OPTIMAL, "DP-LSVI", "UCBVI")}
    ours_b, ucbvi_b = _sweep(results, "fig4b", OPTIMAL), _sweep(results, "fig4b", "UCBVI")
    if not _need(*sweeps.values(), ours_b, ucbvi_b):
        return Claim.not_run("tabular_baselines", statement, "fig4a/fig4b not run")
    online, ours, dp, ucbvi = (sweeps[m] for m in (UCRL, OPTIMAL, "DP-LSVI", "UCBVI"))
    holds = (dp.iloc[0] < online.iloc[0] and ucbvi.iloc[0] < online.iloc[0] and ours.iloc[-1] < dp.iloc[-1]
             and ours_b.iloc[-1] < ucbvi_b.iloc[-1])
    return Claim.check("tabular_baselines", statement, holds,
                       f"4(a) smallest Delta: UCRL {online.iloc[0]:.1f}, DP-LSVI {dp.iloc[0]:.1f}, UCBVI "
                       f"{ucbvi.iloc[0]:.1f}; largest Delta: O-O {ours.iloc[-1]:.1f}, DP-LSVI {dp.iloc[-1]:.1f}; "
                       f"4(b) largest M_off: O-O {ours_b.iloc[-1]:.1f}, UCBVI {ucbvi_b.iloc[-1]:.1f}")


CLAIMS = [
    offline_data_help_when_shift_small_and_coverage_good,
    matches_online_only_when_shift_large,
    naive_pooling_degrades_with_shift,
    regret_falls_with_offline_sample_size,
    never_much_above_the_better_of_online_and_pooling,
    complete_non_monotone_in_m_off,
    coverage_advantage_grows,
    optimal_design_beats_pessimistic,
    both_designs_beat_online_only,
    shift_over_coverage_decides,
    tabular_baselines,
]
