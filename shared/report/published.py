"""papers/<paper>/published.yaml: the paper's numbers as data, validated on load.

Every error names the file and the offending key path in one line, e.g.
`papers/dmg/published.yaml: artifacts[0].cells[3].mean: expected a number, got 'n/a'`.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import yaml

ARTIFACT_KINDS = ("table", "figure")
SCORE_KINDS = ("d4rl_normalised", "raw_return", "regret", "success_rate", "q_value", "seconds")
SPREAD_KINDS = ("std", "ci95", "none")
CHECKPOINTS = ("final", "best")
ARTIFACT_ID = re.compile(r"^[a-z][a-z0-9_]*$")  # a file stem: tables/<id>.md, figures/<id>.png


class PublishedError(ValueError):
    """A published.yaml that does not follow the schema."""


@dataclass(frozen=True)
class PublishedCell:
    setting: str
    method: str
    mean: float
    spread: float | None  # None: the paper gives no spread for this cell
    spread_kind: str
    seeds: int
    note: str = ""


@dataclass(frozen=True)
class Total:
    """A totals row: the diff recomputes it as the sum of the `over` settings, never copies it."""

    setting: str
    over: tuple[str, ...]


@dataclass(frozen=True)
class Artifact:
    id: str
    kind: str
    caption: str
    source: str
    score_kind: str
    data: str
    checkpoint: str
    seeds: int
    spread_kind: str
    totals: tuple[Total, ...]
    cells: tuple[PublishedCell, ...]

    def total_for(self, setting: str) -> Total | None:
        return next((total for total in self.totals if total.setting == setting), None)

    def frame(self) -> pd.DataFrame:
        """The published cells as a DataFrame (setting, method, mean, spread, ...), e.g. for the published
        markers of `figures.sweep(published=...)`; a cell without a spread has spread NaN."""
        columns = list(PublishedCell.__dataclass_fields__)
        rows = [{**asdict(cell), "spread": math.nan if cell.spread is None else cell.spread} for cell in self.cells]
        return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Published:
    paper: str
    title: str
    source: str
    artifacts: tuple[Artifact, ...]
    path: Path

    def artifact(self, artifact_id: str) -> Artifact:
        return next(a for a in self.artifacts if a.id == artifact_id)


class _Checker:
    """Reads typed fields out of nested mappings, naming the key path in every error."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise PublishedError(f"{self.path}: {where}: {message}")

    def mapping(self, value, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping, got {type(value).__name__}")
        missing = [key for key in required if key not in value]
        if missing:
            self.fail(where, f"missing key(s) {', '.join(missing)}")
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            self.fail(where, f"unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(required + optional)})")
        return value

    def text(self, value, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {value!r}")
        return value

    def choice(self, value, where: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(where, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def number(self, value, where: str, minimum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(where, f"expected a finite number, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(where, f"expected a number >= {minimum}, got {value!r}")
        return float(value)

    def count(self, value, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(where, f"expected a positive integer, got {value!r}")
        return value

    def sequence(self, value, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {type(value).__name__}")
        return value


def load_published(path: Path | str, paper: str | None = None) -> Published:
    """Load and validate a published.yaml; `paper`, when given, must equal its `paper:` field."""
    path = Path(path)
    if not path.is_file():
        raise PublishedError(f"{path}: no such file")
    try:
        document = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise PublishedError(f"{path}: not a text file (not UTF-8)") from None
    except yaml.YAMLError as error:
        raise PublishedError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    check = _Checker(path)
    top = check.mapping(document, "top level", ("paper", "title", "source", "artifacts"))
    slug = check.text(top["paper"], "paper")
    if paper is not None and slug != paper:
        check.fail("paper", f"expected {paper!r} (the folder name), got {slug!r}")
    artifacts = tuple(
        _artifact(check, raw, f"artifacts[{i}]") for i, raw in enumerate(check.sequence(top["artifacts"], "artifacts"))
    )
    if not artifacts:
        check.fail("artifacts", "expected at least one artifact")
    ids = [artifact.id for artifact in artifacts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        check.fail("artifacts", f"duplicate id(s) {', '.join(duplicates)}")
    return Published(slug, check.text(top["title"], "title"), check.text(top["source"], "source"), artifacts, path)


def _artifact(check: _Checker, raw, where: str) -> Artifact:
    fields = check.mapping(
        raw,
        where,
        ("id", "kind", "caption", "source", "score_kind", "data", "checkpoint", "seeds", "spread_kind", "cells"),
        ("totals",),
    )
    artifact_id = check.text(fields["id"], f"{where}.id")
    if not ARTIFACT_ID.match(artifact_id):
        check.fail(f"{where}.id", f"expected a lowercase file stem like table2 or figure1, got {artifact_id!r}")
    seeds = check.count(fields["seeds"], f"{where}.seeds")
    spread_kind = check.choice(fields["spread_kind"], f"{where}.spread_kind", SPREAD_KINDS)
    cells = tuple(
        _cell(check, cell, f"{where}.cells[{j}]", seeds, spread_kind)
        for j, cell in enumerate(check.sequence(fields["cells"], f"{where}.cells"))
    )
    keys = [(cell.setting, cell.method) for cell in cells]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        check.fail(f"{where}.cells", f"duplicate (setting, method) {repeated[0]}")
    totals = tuple(
        _total(check, total, f"{where}.totals[{j}]", cells)
        for j, total in enumerate(check.sequence(fields.get("totals", []), f"{where}.totals"))
    )
    return Artifact(
        id=artifact_id,
        kind=check.choice(fields["kind"], f"{where}.kind", ARTIFACT_KINDS),
        caption=check.text(fields["caption"], f"{where}.caption"),
        source=check.text(fields["source"], f"{where}.source"),
        score_kind=check.choice(fields["score_kind"], f"{where}.score_kind", SCORE_KINDS),
        data=check.text(fields["data"], f"{where}.data"),
        checkpoint=check.choice(fields["checkpoint"], f"{where}.checkpoint", CHECKPOINTS),
        seeds=seeds,
        spread_kind=spread_kind,
        totals=totals,
        cells=cells,
    )


def _cell(check: _Checker, raw, where: str, seeds: int, spread_kind: str) -> PublishedCell:
    fields = check.mapping(raw, where, ("setting", "method", "mean"), ("spread", "spread_kind", "seeds", "note"))
    kind = check.choice(fields.get("spread_kind", spread_kind), f"{where}.spread_kind", SPREAD_KINDS)
    spread = fields.get("spread")
    if spread is not None:
        spread = check.number(spread, f"{where}.spread", minimum=0.0)
        if kind == "none":
            check.fail(f"{where}.spread", "a spread is given but spread_kind is none")
    return PublishedCell(
        setting=check.text(str(fields["setting"]), f"{where}.setting"),
        method=check.text(str(fields["method"]), f"{where}.method"),
        mean=check.number(fields["mean"], f"{where}.mean"),
        spread=spread,
        spread_kind=kind if spread is not None else "none",
        seeds=check.count(fields.get("seeds", seeds), f"{where}.seeds"),
        note=str(fields.get("note", "")),
    )


def _total(check: _Checker, raw, where: str, cells: tuple[PublishedCell, ...]) -> Total:
    fields = check.mapping(raw, where, ("setting", "over"))
    setting = check.text(fields["setting"], f"{where}.setting")
    over = tuple(check.text(s, f"{where}.over") for s in check.sequence(fields["over"], f"{where}.over"))
    if not over:
        check.fail(f"{where}.over", "expected at least one setting")
    settings = {cell.setting for cell in cells}
    unknown = [s for s in over if s not in settings]
    if unknown:
        check.fail(f"{where}.over", f"setting {unknown[0]!r} has no cell in this artifact")
    if setting in over:
        check.fail(f"{where}.setting", f"{setting!r} cannot total over itself")
    if setting not in settings:
        check.fail(f"{where}.setting", f"no published cell has setting {setting!r}")
    return Total(setting, over)
