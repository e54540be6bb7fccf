"""A run directory: metrics log, atomic outputs, checkpoint + resume, divergence bookkeeping.

Layout of a run directory:
  metrics.jsonl    one JSON object per logged step; per-seed values as lists (index = position in `seeds`)
  checkpoint.pt    the latest resumable state (written atomically)
  diverged.json    {seed: {"step": int, "reason": str}} for seeds whose loss or Q became non-finite
  *.json / *.csv   results written with atomic_write_*
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

# What checkpoints and policy files may hold besides tensors and Python containers: numpy arrays and scalars
# (replay buffers, environment states). torch.load(weights_only=True) with exactly these allowed never runs code
# from a file, unlike unrestricted unpickling.
NUMPY_SAFE_GLOBALS = [np.ndarray, np.dtype, np._core.multiarray._reconstruct, np._core.multiarray.scalar,
                      *(getattr(np.dtypes, name) for name in dir(np.dtypes) if name.endswith("DType"))]


def load_torch(path: str | os.PathLike, map_location="cpu"):
    """torch.load of our own checkpoint/policy files, restricted to tensors, containers and numpy arrays."""
    with torch.serialization.safe_globals(NUMPY_SAFE_GLOBALS):
        return torch.load(path, map_location=map_location, weights_only=True)


def check_writable(directory: Path) -> None:
    """SystemExit with one line when `directory` cannot be created or written (before any work is done)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".writable-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise SystemExit(f"run directory {directory} is not writable ({err.strerror or err}); choose another --out "
                         "or fix its permissions (in a container: run with --user \"$(id -u):$(id -g)\")") from None


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a killed job never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files 0600; outputs are meant to be read by others (web, DVC)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, default=_to_builtin, allow_nan=True) + "\n")


def _to_builtin(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _as_list(value) -> list[float] | float:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    return _to_builtin(value) if hasattr(value, "tolist") else value


class Run:
    """Bookkeeping for one training job that trains `seeds` together (the seed is a batch dimension)."""

    def __init__(self, directory: str | os.PathLike, seeds: Sequence[int]):
        self.dir = Path(directory)
        check_writable(self.dir)
        self.seeds = [int(s) for s in seeds]
        self.metrics_path = self.dir / "metrics.jsonl"
        self.checkpoint_path = self.dir / "checkpoint.pt"
        self.diverged_path = self.dir / "diverged.json"
        self.diverged: dict[int, dict] = {}
        if self.diverged_path.exists():
            self.diverged = {int(k): v for k, v in json.loads(self.diverged_path.read_text()).items()}

    @property
    def alive(self) -> torch.Tensor:
        """Bool mask [K]: seeds that have not diverged."""
        return torch.tensor([s not in self.diverged for s in self.seeds])

    def log(self, step: int, **scalars) -> None:
        """Append one line to metrics.jsonl; tensors [K] become per-seed lists, diverged seeds become NaN."""
        record = {"step": int(step)}
        for name, value in scalars.items():
            value = _as_list(value)
            if isinstance(value, list) and len(value) == len(self.seeds):
                value = [math.nan if s in self.diverged else v for s, v in zip(self.seeds, value)]
            record[name] = value
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def metrics(self) -> list[dict]:
        if not self.metrics_path.exists():
            return []
        return [json.loads(line) for line in self.metrics_path.read_text().splitlines() if line.strip()]

    def save_checkpoint(self, state: dict, step: int) -> None:
        buffer = io.BytesIO()
        torch.save({"state": state, "step": int(step), "diverged": self.diverged}, buffer)
        atomic_write_bytes(self.checkpoint_path, buffer.getvalue())

    def load_checkpoint(self) -> tuple[dict, int] | None:
        """The latest checkpoint, or None. Metrics logged after it are dropped, so a resumed run
        rewrites exactly the lines an uninterrupted run would have written."""
        if not self.checkpoint_path.exists():
            return None
        payload = load_torch(self.checkpoint_path)
        step = payload["step"]
        self.diverged = {int(k): v for k, v in payload["diverged"].items()}
        kept = [m for m in self.metrics() if m["step"] <= step]
        atomic_write_text(self.metrics_path, "".join(json.dumps(m) + "\n" for m in kept))
        self._write_diverged()
        return payload["state"], step

    def check_finite(self, step: int, **tensors: torch.Tensor) -> torch.Tensor:
        """Mark seeds whose values are non-finite as diverged; returns the alive mask [K].

        Each tensor has the member dimension first ([K] or [K, ...]). Divergence is a result, not an error:
        the job records it and goes on, and the pipeline reports the cell as diverged."""
        for name, value in tensors.items():
            finite = torch.isfinite(value.detach().reshape(len(self.seeds), -1)).all(dim=1).cpu()
            for seed, ok in zip(self.seeds, finite.tolist()):
                if not ok and seed not in self.diverged:
                    self.diverged[seed] = {"step": int(step), "reason": f"non-finite {name}"}
                    self._write_diverged()
        return self.alive

    def _write_diverged(self) -> None:
        atomic_write_json(self.diverged_path, {str(k): v for k, v in sorted(self.diverged.items())})

    def write_json(self, name: str, obj) -> Path:
        path = self.dir / name
        atomic_write_json(path, obj)
        return path
