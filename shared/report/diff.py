"""The diff: every published cell against our aggregated runs, with one stated verdict rule."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from shared.report import stats
from shared.report.published import Artifact, Published, PublishedCell
from shared.report.results import CellStats, Results

ALPHA = 0.05
FLOOR_RELATIVE = 0.05
FLOOR_ABSOLUTE = {"d4rl_normalised": 1.0}  # in the score's own units; other kinds rely on the relative floor
TOTAL_ROUNDING = 0.1  # per summed cell: printed cells are rounded to one decimal

VERDICTS = ("match", "differs", "different data", "diverged", "not run")
OURS_ONLY = "ours only"  # a cell of ours with no published number: shown in the tables, never counted

VERDICT_RULE = (
    f"**Verdict rule.** *not run*: no run of ours at this scale. *diverged*: at least one of our seeds diverged "
    f"(the mean over the others is still shown). Otherwise the cell is tested: it is *within tolerance* when "
    f"|Δ| ≤ floor ({FLOOR_RELATIVE:.0%} of |published|, at least {FLOOR_ABSOLUTE['d4rl_normalised']:g} point for "
    f"D4RL-normalised scores) or, when both sides have a spread and ≥ 2 seeds, when Welch's t-test from the "
    f"summary statistics does not reject equal means (two-sided, α = {ALPHA}; a published 95% CI half-width h "
    f"over n seeds counts as std h·√n/1.96); when one side has no spread (none published, or a single seed of "
    f"ours) it is within tolerance when |Δ| ≤ the larger available std. *different data*: our data are not the "
    f"paper's (e.g. generated Gymnasium v5 data instead of D4RL v2), so the test is shown but not a verdict. "
    f"Else *match* when within tolerance and *differs* when not. Totals rows are recomputed from our per-seed "
    f"values (sum over the settings, per seed), never copied; std is the sample std (ddof = 1) over seeds."
)


@dataclass(frozen=True)
class Test:
    within: bool
    text: str


@dataclass(frozen=True)
class DiffRow:
    artifact: str
    kind: str
    setting: str
    method: str
    score_kind: str
    theirs_mean: float
    theirs_spread: float
    theirs_spread_kind: str
    theirs_seeds: int
    theirs_data: str
    ours_mean: float
    ours_std: float
    ours_ci95_low: float
    ours_ci95_high: float
    ours_iqm: float
    ours_n: int
    ours_seeds: int
    ours_diverged: int
    ours_data: str
    delta: float
    within_tolerance: bool | None
    test: str
    verdict: str
    note: str

    def as_dict(self) -> dict:
        return asdict(self)


def floor(theirs: float, score_kind: str) -> float:
    return max(FLOOR_RELATIVE * abs(theirs), FLOOR_ABSOLUTE.get(score_kind, 0.0))


def published_std(cell: PublishedCell) -> float:
    """The published spread as a std over seeds (NaN when the paper gives none)."""
    if cell.spread is None:
        return math.nan
    if cell.spread_kind == "ci95":
        return stats.std_from_ci95(cell.spread, cell.seeds)
    return cell.spread


def tolerance_test(theirs: PublishedCell, ours: CellStats, score_kind: str) -> Test:
    """Is our mean within tolerance of the published one? (the verdict rule, without data/divergence)."""
    delta = ours.mean - theirs.mean
    tolerance_floor = floor(theirs.mean, score_kind)
    if abs(delta) <= tolerance_floor:
        return Test(True, f"|Δ| = {abs(delta):.3g} ≤ floor {tolerance_floor:.3g}")
    their_std, our_std = published_std(theirs), ours.std
    if math.isfinite(their_std) and theirs.seeds >= 2 and math.isfinite(our_std) and ours.n >= 2:
        p = stats.welch_p_value(ours.mean, our_std, ours.n, theirs.mean, their_std, theirs.seeds)
        relation = "≥" if p >= ALPHA else "<"
        return Test(p >= ALPHA, f"Welch p = {p:.3g} {relation} {ALPHA}")
    spreads = [s for s in (their_std, our_std) if math.isfinite(s)]
    tolerance = max(spreads + [tolerance_floor])
    relation = "≤" if abs(delta) <= tolerance else ">"
    source = "larger std" if spreads and max(spreads) >= tolerance_floor else "floor"
    return Test(abs(delta) <= tolerance, f"|Δ| = {abs(delta):.3g} {relation} {source} {tolerance:.3g}")


def same_data(ours: str | None, theirs: str) -> bool:
    return ours is not None and ours.strip().casefold() == theirs.strip().casefold()


def _our_cell(results: Results, artifact: Artifact, cell: PublishedCell) -> tuple[CellStats | None, str]:
    """Our cell, recomputed from its constituents for a totals row; the note says what was summed."""
    total = artifact.total_for(cell.setting)
    if total is None:
        return results.cell(artifact.id, cell.setting, cell.method), ""
    parts = [results.cell(artifact.id, setting, cell.method) for setting in total.over]
    run = [part for part in parts if part is not None]
    if len(run) < len(parts):
        return None, f"total over {len(parts)} settings; {len(run)} run at this scale"
    common_seeds = sorted(set.intersection(*(set(part.seed_ids) for part in run)))
    if not common_seeds:
        return None, f"total over {len(parts)} settings; no seed ran on all of them"
    values, flags = [], []
    for seed in common_seeds:
        per_setting = [part.values[part.seed_ids.index(seed)] for part in run]
        diverged = any(part.diverged_flags[part.seed_ids.index(seed)] for part in run)
        values.append(math.nan if diverged else float(sum(per_setting)))
        flags.append(diverged)
    summed = CellStats(tuple(values), tuple(flags), tuple(common_seeds))
    return summed, f"recomputed: sum over {len(parts)} settings, per seed ({len(common_seeds)} seeds)"


def _their_total_note(artifact: Artifact, cell: PublishedCell) -> str:
    """Check the paper's printed total against the sum of its own cells (catches transcription errors)."""
    total = artifact.total_for(cell.setting)
    if total is None:
        return ""
    means = {c.setting: c.mean for c in artifact.cells if c.method == cell.method}
    if not all(setting in means for setting in total.over):
        return "paper's total not checkable (cells missing)"
    recomputed = sum(means[setting] for setting in total.over)
    if abs(recomputed - cell.mean) > TOTAL_ROUNDING * len(total.over):
        return f"paper's printed total {cell.mean:g} ≠ sum of its cells {recomputed:.1f}"
    return ""


def _pooled_iqm(results: Results, artifact: Artifact, cell: PublishedCell) -> float:
    """IQM over all (setting, seed) scores of a totals row whose settings all ran, the robust aggregate of
    Agarwal et al. (2021); NaN for other rows."""
    total = artifact.total_for(cell.setting)
    if total is None:
        return math.nan
    parts = [results.cell(artifact.id, setting, cell.method) for setting in total.over]
    if any(part is None for part in parts):
        return math.nan
    return stats.iqm([value for part in parts for value in part.values])


def diff_cell(results: Results, artifact: Artifact, cell: PublishedCell) -> DiffRow:
    ours, note = _our_cell(results, artifact, cell)
    pooled_iqm = _pooled_iqm(results, artifact, cell)
    iqm_note = f"IQM over settings × seeds: {pooled_iqm:.4g}" if math.isfinite(pooled_iqm) else ""
    notes = [n for n in (note, iqm_note, _their_total_note(artifact, cell), cell.note) if n]
    their_data = artifact.data
    total = artifact.total_for(cell.setting)
    settings = total.over if total else [cell.setting]
    our_data = results.data_used(artifact.id, settings, cell.method) or ""
    base = dict(
        artifact=artifact.id,
        kind=artifact.kind,
        setting=cell.setting,
        method=cell.method,
        score_kind=artifact.score_kind,
        theirs_mean=cell.mean,
        theirs_spread=cell.spread if cell.spread is not None else math.nan,
        theirs_spread_kind=cell.spread_kind,
        theirs_seeds=cell.seeds,
        theirs_data=their_data,
        ours_iqm=pooled_iqm,
        ours_data=our_data,
    )
    if ours is None:
        return DiffRow(**base, ours_mean=math.nan, ours_std=math.nan, ours_ci95_low=math.nan,
                       ours_ci95_high=math.nan, ours_n=0, ours_seeds=0, ours_diverged=0, delta=math.nan,
                       within_tolerance=None, test="", verdict="not run", note="; ".join(notes))
    low, high = ours.ci95
    measured = dict(ours_mean=ours.mean, ours_std=ours.std, ours_ci95_low=low, ours_ci95_high=high, ours_n=ours.n,
                    ours_seeds=ours.seeds, ours_diverged=ours.diverged, delta=ours.mean - cell.mean)
    if ours.n == 0:
        return DiffRow(**base, **measured, within_tolerance=None, test="", verdict="diverged",
                       note="; ".join([f"all {ours.seeds} seeds diverged"] + notes))
    test = tolerance_test(cell, ours, artifact.score_kind)
    if ours.diverged:
        verdict = "diverged"
        notes.insert(0, f"{ours.diverged}/{ours.seeds} seeds diverged")
    elif not same_data(our_data, their_data):
        verdict = "different data"
    else:
        verdict = "match" if test.within else "differs"
    return DiffRow(**base, **measured, within_tolerance=test.within, test=test.text, verdict=verdict,
                   note="; ".join(notes))


def diff_paper(published: Published, results: Results) -> list[DiffRow]:
    """One row per published cell, in the paper's order: none is ever dropped."""
    return [diff_cell(results, artifact, cell) for artifact in published.artifacts for cell in artifact.cells]


def unmatched_cells(published: Published, results: Results) -> list[tuple[str, str, str]]:
    """Our (artifact, setting, method) cells with no published counterpart, e.g. a misspelt setting; cells of a
    figure the paper gives no numbers for are expected and left out (a table without numbers, such as an
    extension table of ours, keeps them: they are its content)."""
    known = {(a.id, c.setting, c.method) for a in published.artifacts for c in a.cells}
    without_numbers = {a.id for a in published.artifacts if not a.cells and a.kind == "figure"}
    ours = results.df[["artifact", "setting", "method"]].drop_duplicates().itertuples(index=False, name=None)
    return sorted(key for key in ours if key not in known and key[0] not in without_numbers)


def ours_only_rows(published: Published, results: Results) -> list[DiffRow]:
    """Rows for our cells of a table that the paper has no number for (e.g. a stand-in dataset), so the tables
    show them beside the paper's; they are not part of the diff's counts."""
    tables = {a.id: a for a in published.artifacts if a.kind == "table"}
    rows = []
    for artifact_id, setting, method in unmatched_cells(published, results):
        if artifact_id not in tables:
            continue
        artifact = tables[artifact_id]
        ours = results.cell(artifact_id, setting, method)
        low, high = ours.ci95
        rows.append(DiffRow(
            artifact=artifact_id, kind="table", setting=setting, method=method, score_kind=artifact.score_kind,
            theirs_mean=math.nan, theirs_spread=math.nan, theirs_spread_kind="none", theirs_seeds=0,
            theirs_data=artifact.data, ours_mean=ours.mean, ours_std=ours.std, ours_ci95_low=low, ours_ci95_high=high,
            ours_iqm=math.nan, ours_n=ours.n, ours_seeds=ours.seeds, ours_diverged=ours.diverged,
            ours_data=results.data_used(artifact_id, [setting], method) or "", delta=math.nan, within_tolerance=None, test="",
            verdict=OURS_ONLY, note="no published number"))
    return rows
