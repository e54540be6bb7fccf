"""Turn an ExperimentResult into the files of results/oo_lmdp/: per-seed finals, summaries, curves, ours rows.

Regret(K) is the cumulative expected regret at the last episode; bands are the 20%/80% quantiles over runs
(the statistics the authors compute).
"""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from papers.oo_lmdp.experiments import OPTIMAL, PESSIMISTIC, ExperimentResult
from shared.runs import atomic_write_bytes, atomic_write_text

MAIN = ["UCRL", "COMPLETE", OPTIMAL]
ARTIFACT_METHODS = {  # which methods each paper figure shows (notes.md section 6, item 11)
    "fig2a": MAIN, "fig2b": MAIN, "fig2c": MAIN,
    "fig2d": MAIN + [PESSIMISTIC],
    "fig3": ["UCRL", OPTIMAL],
    "fig4a": MAIN + ["DP-LSVI", "UCBVI"], "fig4b": MAIN + ["DP-LSVI", "UCBVI"],
}
DATA = "synthetic tabular MDP S=5 A=10 H=3 (App. 12.2)"
QUANTILES = (0.2, 0.8)
CURVE_POINTS = 100


def _point_columns(result: ExperimentResult) -> dict[str, dict]:
    return {p.setting: dict(delta=p.delta, m_off=p.m_off, tau=np.nan if p.keep is None else p.keep, rule=p.rule)
            for p in result.points}


def final_table(result: ExperimentResult) -> pd.DataFrame:
    """One row per (setting, method, run): Regret(K), the proof quantity at K and the shift term of gamma (VTR
    methods), and tau_hat of the Optimal design."""
    columns = _point_columns(result)
    rows = []
    for (method, setting), regret in result.regret.items():
        total = regret.sum(1)
        missing = np.full(len(total), np.nan)
        bound = result.bound[method, setting].sum(1) if (method, setting) in result.bound else missing
        shift = result.shift.get((method, setting), missing)
        for run, seed in enumerate(result.seeds):
            rows.append(dict(setting=setting, method=method, run=run, seed=int(seed), **columns[setting],
                             regret=total[run], proof_bound=bound[run], shift_term=shift[run],
                             tau_hat=result.coverage[setting][run]))
    return pd.DataFrame(rows)


def summary_table(final: pd.DataFrame) -> pd.DataFrame:
    """Mean, std and 20/80% quantiles of Regret(K) over runs, per (setting, method)."""
    keys = ["setting", "method", "delta", "m_off", "tau", "rule"]
    grouped = final.groupby(keys, sort=False, dropna=False)
    summary = grouped["regret"].agg(n="count", mean="mean", std="std",
                                    q20=lambda x: x.quantile(QUANTILES[0]), q80=lambda x: x.quantile(QUANTILES[1]))
    summary["proof_bound_mean"] = grouped["proof_bound"].mean()
    summary["shift_term_mean"] = grouped["shift_term"].mean()
    summary["tau_hat_mean"] = grouped["tau_hat"].mean()
    return summary.reset_index()


def curve_table(result: ExperimentResult) -> pd.DataFrame:
    """Cumulative regret (and proof quantity) at CURVE_POINTS episodes: mean and 20/80% quantiles over runs.

    mean_first2 is the mean over the first two runs only: what the authors' Fig. 2(d) plot shows.
    """
    episodes = np.unique(np.linspace(1, result.episodes, CURVE_POINTS).round().astype(int))
    rows = []
    for (method, setting), regret in result.regret.items():
        cumulative = regret.cumsum(1)[:, episodes - 1]
        low, high = np.quantile(cumulative, QUANTILES, axis=0)
        bound = result.bound.get((method, setting))
        bound_mean = bound.cumsum(1)[:, episodes - 1].mean(0) if bound is not None else np.full(len(episodes), np.nan)
        rows.append(pd.DataFrame(dict(setting=setting, method=method, episode=episodes, mean=cumulative.mean(0),
                                      q20=low, q80=high, proof_bound_mean=bound_mean,
                                      mean_first2=cumulative[:2].mean(0))))
    return pd.concat(rows, ignore_index=True)


def ours_rows(final: pd.DataFrame, figures: list[str], scale: str, machine: str = "") -> pd.DataFrame:
    """Long-format rows of results/oo_lmdp/ours.csv for the paper figures this experiment feeds; `machine` names
    the CPU the runs ran on (results are bit-identical on one machine type only)."""
    frames = []
    for artifact in figures:
        if artifact not in ARTIFACT_METHODS:
            continue
        rows = final[final["method"].isin(ARTIFACT_METHODS[artifact])]
        frames.append(pd.DataFrame(dict(artifact=artifact, setting=rows["setting"], method=rows["method"],
                                        seed=rows["run"], value=rows["regret"], diverged=False, data=DATA,
                                        scale=scale, machine=machine)))
    columns = ["artifact", "setting", "method", "seed", "value", "diverged", "data", "scale", "machine"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def write_csv(frame: pd.DataFrame, path) -> None:
    atomic_write_text(path, frame.to_csv(index=False, float_format="%.6g"))


def write_arrays(result: ExperimentResult, path) -> None:
    """Bulk per-episode regret [runs, K] per (method, setting), float32, for re-analysis."""
    arrays = {f"regret|{m}|{s}": r.astype(np.float32) for (m, s), r in result.regret.items()}
    arrays |= {f"bound|{m}|{s}": b.astype(np.float32) for (m, s), b in result.bound.items()}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, seeds=result.seeds, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def write_timing(result: ExperimentResult, path, extra: dict) -> None:
    atomic_write_text(path, json.dumps({"seconds": {k: round(v, 2) for k, v in result.seconds.items()}, **extra},
                                       indent=2) + "\n")
