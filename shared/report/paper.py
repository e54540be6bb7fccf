"""One paper's diff: load its published numbers, our runs and claims; write tables, diff and metrics."""
from __future__ import annotations

import importlib.util
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shared.report import tables
from shared.report.claim import CLAIM_RULE, Claim, run_claims
from shared.report.diff import VERDICT_RULE, DiffRow, diff_paper, ours_only_rows, unmatched_cells
from shared.report.published import Published, load_published
from shared.report.results import Results
from shared.runs import atomic_write_json, atomic_write_text


class ClaimsError(ValueError):
    """A claims.py that cannot be loaded."""


@dataclass(frozen=True)
class PaperReport:
    published: Published
    results: Results
    rows: list[DiffRow]
    claims: list[Claim]
    unmatched: list[tuple[str, str, str]]
    ours_only: list[DiffRow]  # table cells of ours without a published number: shown, never counted
    figures_present: dict[str, bool]

    @property
    def slug(self) -> str:
        return self.published.paper

    @property
    def table_rows(self) -> list[DiffRow]:
        """What the tables show: every published cell, then our cells the paper has no number for."""
        return self.rows + self.ours_only

    @property
    def verdicts(self) -> Counter:
        return Counter(row.verdict for row in self.rows)

    @property
    def cells_run(self) -> int:
        return sum(1 for row in self.rows if row.verdict != "not run")

    @property
    def cells_within(self) -> int:
        return sum(1 for row in self.rows if row.within_tolerance)

    @property
    def claims_hold(self) -> int:
        return sum(1 for claim in self.claims if claim.verdict == "hold")

    @property
    def claims_failed(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.verdict == "fail"]

    @property
    def claims_inconclusive(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.verdict == "inconclusive"]

    def claims_text(self) -> str:
        """'3/8 hold, 2 inconclusive': how many claims hold, and how many the seeds' noise leaves open."""
        if not self.claims:
            return "none checked"
        open_ = len(self.claims_inconclusive)
        return f"{self.claims_hold}/{len(self.claims)} hold" + (f", {open_} inconclusive" if open_ else "")

    def regenerated(self, artifact_id: str) -> bool:
        """A table counts as regenerated when one of its cells ran; a figure when its PNG exists."""
        artifact = self.published.artifact(artifact_id)
        if artifact.kind == "figure":
            return self.figures_present.get(artifact_id, False)
        return any(row.artifact == artifact_id and row.verdict != "not run" for row in self.rows)

    @property
    def artifacts_regenerated(self) -> int:
        return sum(self.regenerated(artifact.id) for artifact in self.published.artifacts)

    def annotation(self, artifact_id: str) -> str:
        """Paper, data (theirs and ours) and scale: written next to every table, figure and diff."""
        artifact = self.published.artifact(artifact_id)
        ours = self.results.data_used(artifact_id)
        if ours is None and self.figures_present.get(artifact_id):
            ours = self.results.data_used()  # a figure drawn from run logs, not from ours.csv cells
        ours = ours or "no run"
        return (f"paper: {self.slug} ({artifact.source}); paper's data: {artifact.data}; our data: {ours}; "
                f"scale: {self.scale}; score: {artifact.score_kind}, {artifact.checkpoint} checkpoint; "
                f"machine: {self.results.machines()}")

    @property
    def scale(self) -> str:
        return self.results.scale() or "not run"

    def summary(self) -> str:
        counts = self.verdicts
        breakdown = ", ".join(f"{counts[v]} {v}" for v in ("match", "differs", "different data", "diverged", "not run")
                              if counts[v])
        claims = (f"claims: {self.claims_text()}" if self.claims else "no claims checked")
        cells = (f"{len(self.rows)} published cells: {self.cells_run} run, {self.cells_within} within tolerance "
                 f"({breakdown})" if self.rows else "the paper gives no numbers (claims only)")
        return (f"{cells}; {claims}; {self.artifacts_regenerated}/{len(self.published.artifacts)} "
                f"artifacts regenerated; scale {self.scale}")


def load_claims(claims_file: Path) -> list:
    """CLAIMS of papers/<paper>/claims.py, loaded from that file (so --papers-dir decides), or [] without one."""
    if not claims_file.is_file():
        return []
    slug = claims_file.parent.name
    spec = importlib.util.spec_from_file_location(f"papers.{slug}.claims", claims_file)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any error in the module becomes one clear line
        raise ClaimsError(f"{claims_file}: cannot be loaded ({type(error).__name__}: {error})") from None
    return list(getattr(module, "CLAIMS", []))


def build(slug: str, papers_dir: Path, results_dir: Path, claims: list | None = None) -> PaperReport:
    published = load_published(Path(papers_dir) / slug / "published.yaml", paper=slug)
    results = Results(Path(results_dir) / slug)
    checks = load_claims(Path(papers_dir) / slug / "claims.py") if claims is None else claims
    figures = {a.id: (results.dir / "figures" / f"{a.id}.png").is_file() for a in published.artifacts if a.kind == "figure"}
    return PaperReport(published, results, diff_paper(published, results), run_claims(checks, results),
                       unmatched_cells(published, results), ours_only_rows(published, results), figures)


def _value(x):
    """JSON-friendly: NaN becomes null."""
    return None if isinstance(x, float) and not math.isfinite(x) else x


def write(report: PaperReport) -> list[Path]:
    """tables/<id>.{md,csv,tex} per table artifact, diff.{md,csv} and metrics.json under results/<paper>/."""
    out = report.results.dir
    (out / "tables").mkdir(parents=True, exist_ok=True)  # a declared output, even for a paper with no table
    written = []
    for artifact in report.published.artifacts:
        if artifact.kind != "table":
            continue
        stem = out / "tables" / artifact.id
        annotation = report.annotation(artifact.id)
        md = f"# {artifact.id}: {artifact.caption}\n\n_{annotation}_\n\n" + tables.markdown(artifact, report.table_rows)
        md += "\n✓/✗: within/outside tolerance under the verdict rule of diff.md (whatever the data).\n"
        atomic_write_text(stem.with_suffix(".md"), md)
        atomic_write_text(stem.with_suffix(".csv"), tables.frame(artifact, report.table_rows).to_csv(index=False))
        atomic_write_text(stem.with_suffix(".tex"), tables.latex(artifact, report.table_rows, annotation))
        written += [stem.with_suffix(s) for s in (".md", ".csv", ".tex")]
    diff_frame = pd.DataFrame([row.as_dict() for row in report.rows], columns=list(DiffRow.__dataclass_fields__))
    atomic_write_text(out / "diff.csv", diff_frame.to_csv(index=False))
    atomic_write_text(out / "diff.md", diff_markdown(report))
    atomic_write_json(out / "metrics.json", metrics(report))
    return written + [out / "diff.csv", out / "diff.md", out / "metrics.json"]


def metrics(report: PaperReport) -> dict:
    """For `dvc metrics diff`: the counts and every cell's mean of ours, so commits can be compared."""
    return {
        "cells_published": len(report.rows),
        "cells_run": report.cells_run,
        "cells_within_tolerance": report.cells_within,
        "verdicts": {v: report.verdicts[v] for v in ("match", "differs", "different data", "diverged", "not run")},
        "claims_total": len(report.claims),
        "claims_hold": report.claims_hold,
        "claims_inconclusive": len(report.claims_inconclusive),
        "artifacts_regenerated": report.artifacts_regenerated,
        "ours_mean": {f"{r.artifact}/{r.setting}/{r.method}": _value(r.ours_mean) for r in report.rows},
    }


def _escape_md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def diff_markdown(report: PaperReport) -> str:
    p = report.published
    lines = [f"# Diff: {p.title} (`{p.paper}`)", "", f"Source: `{p.source}`. Scale: **{report.scale}**. "
             f"Machine: {report.results.machines()}.", "",
             f"**Summary:** {report.summary()}.", "", VERDICT_RULE, ""]
    lines += ["## Claims", "", CLAIM_RULE, ""]
    if report.claims:
        lines += ["| Claim | Verdict | Evidence |", "|---|---|---|"]
        lines += [f"| **{_escape_md(c.name)}**: {_escape_md(c.statement)} | {c.verdict} | {_escape_md(c.evidence)} |"
                  for c in report.claims]
    else:
        lines.append(f"No claims checked (papers/{p.paper}/claims.py has no CLAIMS).")
    for artifact in p.artifacts:
        lines += ["", f"## {artifact.id} ({artifact.kind}, {artifact.source}): {_escape_md(artifact.caption)}", "",
                  f"_{report.annotation(artifact.id)}_", ""]
        if artifact.kind == "figure":
            status = "regenerated" if report.figures_present.get(artifact.id) else "**not regenerated** (PNG missing)"
            lines += [f"Figure: [figures/{artifact.id}.png](figures/{artifact.id}.png) ({status}).", ""]
        cells = [row for row in report.rows if row.artifact == artifact.id]
        if not cells:
            lines.append("The paper gives no numbers for this artifact (no published cells).")
            continue
        lines += ["| Setting | Method | Ours (mean ± std, n) | Paper | Δ | Test | Verdict | Note |",
                  "|---|---|--:|--:|--:|---|---|---|"]
        for row in cells:
            ours = tables.ours_text(row) + (f", n={row.ours_n}" if row.ours_n else "")
            lines.append(f"| {_escape_md(row.setting)} | {_escape_md(row.method)} | {ours} | {tables.theirs_text(row)} "
                         f"| {tables.delta_text(row)} | {_escape_md(row.test)} | {row.verdict} | {_escape_md(row.note)} |")
    if report.unmatched:
        lines += ["", "## Our cells with no published counterpart", "",
                  "Extra cells of ours (table cells are shown in the tables as 'ours only'), or a setting/method "
                  "spelt differently from published.yaml.", ""]
        lines += [f"- {a} / {s} / {m}" for a, s, m in report.unmatched]
    return "\n".join(lines) + "\n"
