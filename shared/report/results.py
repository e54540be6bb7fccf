"""Our runs for one paper (results/<paper>/ours.csv) and their per-cell aggregation."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from shared.provenance import machine_text
from shared.report import stats

OURS_COLUMNS = ("artifact", "setting", "method", "seed", "value", "diverged", "data", "scale")
MACHINE_COLUMN = "machine"  # optional: the CPU (and torch's CPU capability) a row's run ran on
WRITTEN_COLUMNS = (*OURS_COLUMNS, MACHINE_COLUMN)  # what the papers' collect steps write
OPTIONAL_COLUMNS = (MACHINE_COLUMN,)  # text columns a writer may add after OURS_COLUMNS


@dataclass(frozen=True)
class CellStats:
    """Per-seed values of one (artifact, setting, method) cell; a diverged seed's value is NaN."""

    values: tuple[float, ...]
    diverged_flags: tuple[bool, ...] = field(default=())
    seed_ids: tuple[int, ...] = field(default=())

    def __post_init__(self):
        if not self.diverged_flags:
            object.__setattr__(self, "diverged_flags", tuple(not math.isfinite(v) for v in self.values))

    @property
    def n(self) -> int:
        """Seeds with a finite value (the ones the mean is over)."""
        return int(stats.finite(self.values).size)

    @property
    def seeds(self) -> int:
        """Seeds run, diverged ones included."""
        return len(self.values)

    @property
    def diverged(self) -> int:
        """Number of diverged seeds (truthy when any diverged)."""
        return sum(1 for flag, v in zip(self.diverged_flags, self.values) if flag or not math.isfinite(v))

    @property
    def mean(self) -> float:
        finite = stats.finite(self.values)
        return float(finite.mean()) if finite.size else math.nan

    @property
    def std(self) -> float:
        return stats.sample_std(self.values)

    @cached_property
    def ci95(self) -> tuple[float, float]:
        return stats.bootstrap_ci95(self.values)


def run_columns(final: dict, scale: str) -> dict:
    """The columns every ours.csv row of one run shares: its data, the scale and the machine it ran on."""
    machine = machine_text(final["machine"]) if "machine" in final else ""
    return {"data": final["data"], "scale": scale, MACHINE_COLUMN: machine}


def run_rows(final: dict, artifact: str, setting: str, method: str, scale: str, values=None) -> list[dict]:
    """ours.csv rows of one cell of a run (final.json), one per seed; `values` defaults to the final scores."""
    values = final["final_score"] if values is None else values
    return per_seed_rows(artifact, setting, method, final["seeds"], values, final["diverged"],
                         **run_columns(final, scale))


def per_seed_rows(artifact: str, setting: str, method: str, seeds, values, diverged, **columns) -> list[dict]:
    """ours.csv rows of one cell, one per seed; a diverged seed's value is NaN. `columns`: data, scale."""
    return [{"artifact": artifact, "setting": setting, "method": method, "seed": seed,
             "value": math.nan if d else v, "diverged": bool(d), **columns}
            for seed, v, d in zip(seeds, values, diverged)]


def read_ours(path: Path) -> pd.DataFrame:
    """ours.csv as a DataFrame with typed columns; an absent file is an empty frame (nothing run yet).

    Strict, because every number of the diff comes from here: the header names OURS_COLUMNS (and maybe some of
    OPTIONAL_COLUMNS), every row has that many fields, seed is a non-negative integer, diverged is true/false,
    value is a finite number unless the row says diverged, (artifact, setting, method, seed) is unique and the
    file ends with a newline (one that does not was cut off). Anything else is SystemExit with one line naming
    the file and line."""
    path = Path(path)
    if not path.exists():
        dtypes = {"seed": int, "value": float, "diverged": bool}
        return pd.DataFrame({column: pd.Series(dtype=dtypes.get(column, object)) for column in OURS_COLUMNS})
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise SystemExit(f"{path}: not a text CSV file (not UTF-8)") from None
    if "\0" in text:
        raise SystemExit(f"{path}: not a text CSV file (holds NUL bytes)")
    if not text.strip():
        raise SystemExit(f"{path}: empty; expected the header {','.join(OURS_COLUMNS)}")
    if not text.endswith("\n"):
        raise SystemExit(f"{path}: truncated (the last line has no newline); write it again")
    try:
        lines = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise SystemExit(f"{path}: not a valid CSV file ({err})") from None
    header, rows = lines[0], lines[1:]
    missing = [column for column in OURS_COLUMNS if column not in header]
    if missing:
        raise SystemExit(f"{path}: missing columns {missing} (expected {list(OURS_COLUMNS)})")
    extra = [column for column in header if column not in OURS_COLUMNS + OPTIONAL_COLUMNS]
    if extra or len(set(header)) != len(header):
        raise SystemExit(f"{path}: unexpected or repeated columns {extra or header} (expected {list(OURS_COLUMNS)}"
                         f" and optionally {list(OPTIONAL_COLUMNS)})")
    records, seen = [], {}
    for number, fields in enumerate(rows, start=2):
        if len(fields) != len(header):
            raise SystemExit(f"{path}: line {number} has {len(fields)} fields, expected {len(header)}")
        record = _parse_row(dict(zip(header, fields)), f"{path}", number)
        key = (record["artifact"], record["setting"], record["method"], record["seed"])
        if key in seen:
            raise SystemExit(f"{path}: line {number} repeats (artifact, setting, method, seed) {key} of line "
                             f"{seen[key]}")
        seen[key] = number
        records.append(record)
    df = pd.DataFrame(records, columns=list(OURS_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in header])
    return df.astype({"seed": int, "value": float, "diverged": bool})


def _parse_row(row: dict, path: str, number: int) -> dict:
    for column in ("artifact", "setting", "method"):
        if not row[column].strip():
            raise SystemExit(f"{path}: column {column} must not be empty (line {number})")
    try:
        seed = int(row["seed"])
        if seed < 0:
            raise ValueError
    except ValueError:
        raise SystemExit(f"{path}: column seed must hold integers >= 0 (line {number}: {row['seed']!r})") from None
    flag = row["diverged"].strip().lower()
    if flag not in TRUE_WORDS + FALSE_WORDS:
        raise SystemExit(f"{path}: column diverged must be True or False (line {number}: {row['diverged']!r})")
    diverged = flag in TRUE_WORDS
    try:
        value = float(row["value"]) if row["value"].strip() else math.nan
    except ValueError:
        value = None
    if diverged:  # whatever a diverged seed last recorded never enters a mean
        value = math.nan
    elif value is None or not math.isfinite(value):
        raise SystemExit(f"{path}: column value must be a finite number unless the row says diverged "
                         f"(line {number}: {row['value']!r})")
    labels = {column: row[column] or None for column in ("data", "scale", *OPTIONAL_COLUMNS) if column in row}
    return {**row, **labels, "seed": seed, "value": value, "diverged": diverged}


TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes"), ("false", "0", "no")


class Results:
    """Our aggregated results for one paper: `.df` (ours.csv), `.dir` (results/<paper>/), `.cell(...)`."""

    def __init__(self, directory: Path | str, df: pd.DataFrame | None = None):
        self.dir = Path(directory)
        self.df = read_ours(self.dir / "ours.csv") if df is None else df

    def cell(self, artifact: str, setting: str, method: str) -> CellStats | None:
        """The cell's per-seed values, or None when it was not run at this scale."""
        rows = self.df[
            (self.df["artifact"] == artifact) & (self.df["setting"] == setting) & (self.df["method"] == method)
        ].sort_values("seed")
        if rows.empty:
            return None
        flags = tuple(bool(d) for d in rows["diverged"])
        return CellStats(
            # a seed flagged diverged never enters a mean, even if a last finite value was recorded for it
            values=tuple(math.nan if flag else float(v) for v, flag in zip(rows["value"], flags)),
            diverged_flags=flags,
            seed_ids=tuple(int(s) for s in rows["seed"]),
        )

    def data_used(self, artifact: str | None = None, settings=None, method: str | None = None) -> str | None:
        """The `data` string of our runs (several joined with '; '), over everything or narrowed to an artifact,
        some settings and a method; None if none ran."""
        rows = self.df
        if artifact is not None:
            rows = rows[rows["artifact"] == artifact]
        if settings is not None:
            rows = rows[rows["setting"].isin(list(settings))]
        if method is not None:
            rows = rows[rows["method"] == method]
        labels = sorted(set(rows["data"].dropna()))
        return "; ".join(labels) if labels else None

    def machines(self) -> str:
        """The machines our runs ran on ('; '-joined), or a note that the runs did not record one: results are
        bit-identical on one machine type only, so a report says where its numbers came from."""
        if MACHINE_COLUMN not in self.df.columns:
            return "not recorded by these runs"
        labels = sorted(set(self.df[MACHINE_COLUMN].dropna()) - {""})
        unrecorded = self.df[MACHINE_COLUMN].isna().any() or (self.df[MACHINE_COLUMN] == "").any()
        return "; ".join(labels + (["not recorded for some runs"] if unrecorded and labels else [])) or \
            "not recorded by these runs"

    def scale(self) -> str | None:
        labels = sorted(set(self.df["scale"].dropna()))
        return "; ".join(labels) if labels else None
