"""Our runs for one paper (results/<paper>/ours.csv) and their per-cell aggregation."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from shared.provenance import machine_text
from shared.report import stats

OURS_COLUMNS = ("artifact", "setting", "method", "seed", "value", "diverged", "data", "scale")
MACHINE_COLUMN = "machine"  # optional: the CPU (and torch's CPU capability) a row's run ran on
WRITTEN_COLUMNS = (*OURS_COLUMNS, MACHINE_COLUMN)  # what the papers' collect steps write


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
    """ours.csv as a DataFrame with typed columns; an absent file is an empty frame (nothing run yet)."""
    if not Path(path).exists():
        dtypes = {"seed": int, "value": float, "diverged": bool}
        return pd.DataFrame({column: pd.Series(dtype=dtypes.get(column, object)) for column in OURS_COLUMNS})
    df = pd.read_csv(path, dtype={"artifact": str, "setting": str, "method": str, "data": str, "scale": str,
                                  MACHINE_COLUMN: str})
    missing = [column for column in OURS_COLUMNS if column not in df.columns]
    if missing:
        raise SystemExit(f"{path}: missing columns {missing} (expected {list(OURS_COLUMNS)})")
    try:
        df["seed"] = df["seed"].astype(int)
    except (TypeError, ValueError):
        raise SystemExit(f"{path}: column seed must hold integers") from None
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)  # empty or 'nan': a diverged seed
    df["diverged"] = df["diverged"].map(_as_bool).astype(bool)
    return df


def _as_bool(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return str(value).strip().lower() in ("true", "1", "yes")


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
