"""Committed behaviour artifacts (shared/data/pinned/<behaviour>/<env>/): install them instead of training when,
and only when, they were made with exactly the configured settings; pin trained ones within a size budget.

A pin keeps what the datasets need: the manifest (every checkpoint's score), the actors of the medium and expert
checkpoints, the replay buffer up to the medium checkpoint (medium-replay is cut from it) in the lossless compact
form of shared/data/replay.py, and metrics.jsonl. A trained (unpinned) folder holds every actor and the whole replay
buffer; its manifest has no `pinned` entry.
"""
from __future__ import annotations

import io
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from shared.data.levels import select_checkpoints
from shared.data.replay import compact, read_replay
from shared.data.settings import PINNED_DIR, DataSettings
from shared.runs import atomic_write_bytes, atomic_write_json, load_torch

BEHAVIOUR_FILES = ("policies.pt", "replay.npz", "metrics.jsonl", "behaviour.json")  # manifest last
# What shared/data/pinned/ may hold: issue 9 allows at most about 60 MB added to git for the D4RL-level pins.
PINNED_BUDGET_BYTES = 60_000_000


def _jsonable(value):
    return json.loads(json.dumps(value))


def pinned_mismatch(manifest: dict, settings: DataSettings, env: str) -> str | None:
    """Why artifacts with this manifest were not made with `settings` for `env` (None when they were)."""
    wanted = {"settings": asdict(settings.sac), "sac": asdict(settings.agent)}
    for key, value in wanted.items():
        if manifest[key] != _jsonable(value):
            return f"{key} {manifest[key]} differ from the config's {_jsonable(value)}"
    pinned = manifest.get("pinned")
    if pinned is not None and pinned["medium_band"] != list(settings.medium_band(env)):
        return f"pinned for the medium band {pinned['medium_band']}, the config's is {list(settings.medium_band(env))}"
    return None


def install_pinned(pinned: Path, out: Path, settings: DataSettings, env: str) -> bool:
    """Copy committed behaviour artifacts into `out` when they were made with exactly `settings` (budget and
    hyperparameters of the SAC, and for a trimmed pin the medium band it was cut for).

    Returns False (nothing copied, the reason printed) when there are none or they differ, so the caller trains."""
    manifest_path = pinned / "behaviour.json"
    if not manifest_path.exists():
        return False
    reason = pinned_mismatch(json.loads(manifest_path.read_text()), settings, env)
    if reason is not None:
        print(f"not installing {pinned}: {reason}")
        return False
    copy_behaviour(pinned, out)
    return True


def copy_behaviour(source: Path, target: Path) -> None:
    """Copy a behaviour folder's files, the manifest last (its presence marks a complete copy)."""
    if not (source / "behaviour.json").exists():
        raise SystemExit(f"no behaviour artifacts at {source}")
    target.mkdir(parents=True, exist_ok=True)
    for name in BEHAVIOUR_FILES:
        atomic_write_bytes(target / name, (source / name).read_bytes())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def pin_behaviour(source: Path, target: Path, settings: DataSettings, env: str, remake: str,
                  pinned_root: Path = PINNED_DIR, budget: int = PINNED_BUDGET_BYTES) -> dict:
    """Write the trimmed pin of the trained behaviour at `source` to `target`; returns its `pinned` entry.

    Refuses (SystemExit, nothing left behind) artifacts made with other settings, and a pin that would take
    `pinned_root` over `budget` bytes."""
    manifest = json.loads((source / "behaviour.json").read_text()) if (source / "behaviour.json").exists() else None
    if manifest is None:
        raise SystemExit(f"no trained behaviour at {source}: train it first")
    reason = pinned_mismatch({**manifest, "pinned": None}, settings, env)
    if reason is not None:
        raise SystemExit(f"{source} was not made with the config's settings: {reason}")
    selection = select_checkpoints(manifest["checkpoints"], settings.medium_band(env))
    steps = sorted({selection["medium_step"], selection["expert_step"]})
    policies = load_torch(source / "policies.pt")
    policies["actors"] = {step: policies["actors"][step] for step in steps}
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    payload = io.BytesIO()
    torch.save(policies, payload)
    atomic_write_bytes(staging / "policies.pt", payload.getvalue())
    arrays = io.BytesIO()
    np.savez_compressed(arrays, **compact(read_replay(source, selection["medium_step"])))
    atomic_write_bytes(staging / "replay.npz", arrays.getvalue())
    atomic_write_bytes(staging / "metrics.jsonl", (source / "metrics.jsonl").read_bytes())
    entry = {"medium_band": list(settings.medium_band(env)), "actors": steps, "replay_steps": selection["medium_step"],
             "replay_storage": "compact, lossless (shared/data/replay.py)", "remake": remake}
    atomic_write_json(staging / "behaviour.json", {**manifest, "pinned": entry})
    others = folder_bytes(pinned_root) - (folder_bytes(target) if target.exists() else 0) - folder_bytes(staging)
    if others + folder_bytes(staging) > budget:
        size = folder_bytes(staging)
        shutil.rmtree(staging)
        raise SystemExit(f"pinning {env} ({size / 1e6:.1f} MB) would take {pinned_root} to "
                         f"{(others + size) / 1e6:.1f} MB, over its budget of {budget / 1e6:.0f} MB")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return entry
