"""Carry an unfinished behaviour training to the next session through git (issue 9: 1M SAC steps per env take
longer than a session, and a session's disk does not outlive it).

The loop's checkpoint.pt holds the whole replay buffer (about 100 MB per env at 1M steps): too large to commit
each session. A carry (shared/data/pinned/<behaviour>/<env>/carry/) holds only what the checkpoint cannot be
rebuilt without:
  state.pt               the checkpoint without the replay buffer: networks, optimisers, random generators,
                         environment states, evaluation rows, and the actors of the checkpoints a dataset can
                         still use (the medium candidate and the best so far; the others are dropped)
  actions-<a>-<b>.npy    the actions of env steps a+1..b, float32 [seeds, b - a, act]; chunks are never
                         rewritten, so each export adds one and git stores every action once
  metrics.jsonl          the loop's diagnostics so far
  carry.json             step, fingerprint, the replay buffer's sha256, the chunks, the machine
Restoring replays the actions through the same seeded environments (MuJoCo integrates deterministically on one
build and CPU type), which rebuilds observations, rewards, terminals and timeouts; the rebuilt buffer's sha256
and the environments' final states must equal the exported ones, else the restore is refused.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from shared.data.catalog import EnvFamily, generated_env_id
from shared.data.levels import select_checkpoints
from shared.provenance import machine_info
from shared.rl.buffers import FIELDS
from shared.runs import Run, atomic_write_bytes, atomic_write_json, atomic_write_text, load_torch

CARRY_FILE = "carry.json"


def _replay_sha256(online: dict[str, torch.Tensor], timeouts: np.ndarray, size: int) -> str:
    digest = hashlib.sha256()
    for name in FIELDS:
        digest.update(online[name][:, :size].contiguous().cpu().numpy().tobytes())
    digest.update(np.ascontiguousarray(timeouts[:, :size], dtype=np.float32).tobytes())
    return digest.hexdigest()


def _chunks(carry: Path) -> list[tuple[int, int, Path]]:
    found = []
    for path in carry.glob("actions-*-*.npy"):
        start, end = (int(x) for x in path.stem.split("-")[1:])
        found.append((start, end, path))
    found.sort()
    if any(a[1] != b[0] for a, b in zip(found, found[1:])) or (found and found[0][0] != 0):
        raise SystemExit(f"{carry}: the action chunks {[p.name for _, _, p in found]} do not follow each other")
    return found


def _carried_actions(carry: Path) -> np.ndarray | None:
    chunks = _chunks(carry)
    return np.concatenate([np.load(p) for _, _, p in chunks], axis=1) if chunks else None


def export_carry(run_dir: Path, carry: Path, band: tuple[float, float]) -> dict:
    """Write the carry of the training whose checkpoint is <run_dir>/checkpoint.pt (safe while it trains: the
    checkpoint is replaced atomically); returns carry.json's content."""
    run = Run(run_dir, [0])
    if not run.checkpoint_path.exists():
        raise SystemExit(f"no checkpoint at {run.checkpoint_path}: nothing to carry (a finished training is "
                         "pinned instead: python -m shared.data pin)")
    payload = load_torch(run.checkpoint_path)
    state, step = payload["state"], payload["step"]
    source = state["source"]
    size = source["buffer"]["size"]
    online, timeouts = source["buffer"]["online"], source["timeouts"]
    actions = online["actions"][:, :size].numpy()
    previous = _carried_actions(carry) if carry.exists() else None
    done = 0 if previous is None else previous.shape[1]
    if previous is not None and (done > size or not np.array_equal(previous, actions[:, :done])):
        raise SystemExit(f"{carry} holds the actions of another training: remove it to carry this one")
    carry.mkdir(parents=True, exist_ok=True)
    if size > done:
        chunk = io.BytesIO()
        np.save(chunk, np.ascontiguousarray(actions[:, done:]))
        atomic_write_bytes(carry / f"actions-{done:07d}-{size:07d}.npy", chunk.getvalue())
    hook = state["eval_hook"]
    selection = select_checkpoints(hook["checkpoints"], band)
    usable = {selection["medium_step"], selection["expert_step"]}
    stripped = {**state, "eval_hook": {**hook, "actors": {s: a for s, a in hook["actors"].items() if s in usable}},
                "source": {**source, "buffer": {**source["buffer"], "online": None}, "timeouts": None}}
    buffer = io.BytesIO()
    torch.save({"state": stripped, "step": step, "diverged": payload["diverged"]}, buffer)
    atomic_write_bytes(carry / "state.pt", buffer.getvalue())
    kept = [line for line in run.metrics() if line["step"] <= step]
    atomic_write_text(carry / "metrics.jsonl", "".join(json.dumps(m) + "\n" for m in kept))
    record = {"step": step, "replay_size": size, "fingerprint": state["fingerprint"],
              "replay_sha256": _replay_sha256(online, timeouts, size),
              "chunks": [p.name for _, _, p in _chunks(carry)], "actors_kept": sorted(usable),
              "exported_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "machine": machine_info(),
              "restore": "python -m shared.data behaviour --env <env> --scale <scale> --root <root> "
                         "(restores the carry when the root has no checkpoint, then trains on)"}
    atomic_write_json(carry / CARRY_FILE, record)
    return record


def restore_carry(carry: Path, run_dir: Path, family: EnvFamily, source, seeds: list[int], fingerprint: str) -> int:
    """Rebuild <run_dir>/checkpoint.pt from a carry for `source` (a fresh OnlineBuffer of the same training,
    whose fingerprint is `fingerprint`); returns the step it resumes at. Refuses a carry of other settings or one
    this machine does not replay exactly."""
    record = json.loads((carry / CARRY_FILE).read_text())
    if record["fingerprint"] != fingerprint:
        raise SystemExit(f"{carry} was made with other settings (fingerprint differs): train with the config that "
                         "made it, or pass --restart to start afresh")
    payload = load_torch(carry / "state.pt")
    state = payload["state"]
    actions = torch.from_numpy(_carried_actions(carry))
    if actions.shape[1] != record["replay_size"]:
        raise SystemExit(f"{carry} holds {actions.shape[1]} actions, its carry.json says {record['replay_size']}")
    for t in tqdm(range(actions.shape[1]), desc=f"replay {family.name}", mininterval=5.0, unit="step"):
        source.step_with(actions[:, t])
    rebuilt = _replay_sha256(source.buffer.online, source.timeouts, source.buffer.size)
    saved_envs = state["source"]["envs"]
    if rebuilt != record["replay_sha256"] or not _same_env_states(source.envs.state_dict(), saved_envs):
        raise SystemExit(f"replaying the carried actions on {generated_env_id(family)} did not rebuild the exported "
                         "replay buffer bit for bit (another MuJoCo build or CPU type integrates differently): "
                         "this carry cannot be resumed here")
    state["source"] = {**state["source"], "buffer": source.buffer.state_dict(),
                       "timeouts": source.timeouts[:, :source.buffer.size].copy()}
    run = Run(run_dir, seeds)
    run.dir.mkdir(parents=True, exist_ok=True)
    run.diverged = {int(k): v for k, v in payload["diverged"].items()}
    atomic_write_bytes(run.metrics_path, (carry / "metrics.jsonl").read_bytes())
    run.save_checkpoint(state, payload["step"])
    return payload["step"]


def _same_env_states(a: dict, b: dict) -> bool:
    def same(x, y) -> bool:
        if isinstance(x, dict):
            return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
        if isinstance(x, (list, tuple)):
            return len(x) == len(y) and all(same(u, v) for u, v in zip(x, y))
        if isinstance(x, np.ndarray):
            return np.array_equal(x, y)
        return x == y
    return same(a, b)


def carry_dir(pinned_root: Path, behaviour: str, env: str) -> Path:
    return pinned_root / behaviour / env / "carry"


def remove_carry(carry: Path) -> None:
    """A finished training's carry is no longer needed (its pin replaces it)."""
    shutil.rmtree(carry, ignore_errors=True)

