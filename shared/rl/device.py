"""The training device: `auto | cpu | cuda[:i]` from the config, resolved once for the DAG and again in each job.

In the Snakefile, `rule_device(setting)` turns a scale's `device` into what a training rule passes as --device
(`auto` -> cuda when this machine has a GPU; on a cluster whose login node has none, set device: cuda) and
`gpus(device)` into the rule's Snakemake `gpu` resource (SLURM: snakemake-executor-plugin-slurm requests it).
In a job, `claim_gpu` gives concurrent local jobs distinct GPUs: each takes the first free per-GPU lock file.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

DEVICES = "auto, cpu, cuda or cuda:<i>"
_held_locks = []   # lock files held for the life of the process


def check_device(device: str) -> str:
    if device not in ("auto", "cpu") and not device.startswith("cuda"):
        raise SystemExit(f"--device {device}: expected {DEVICES}")
    return device


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def rule_device(setting: str) -> str:
    """The --device a training rule passes: cpu, or cuda (auto resolved on the machine building the DAG)."""
    check_device(setting)
    if setting == "auto":
        return "cuda" if cuda_available() else "cpu"
    return setting


# A paper whose config has no `device` key trains on the scale's default: the paper scale expects GPUs.
SCALE_DEVICES = {"tiny": "cpu", "quick": "cpu", "paper": "auto"}


def pipeline_device(config: dict, paper: dict | None = None) -> str:
    """The --device of a paper's training jobs: config["device"] (all papers at once), else the paper's own
    `device`, else the scale's default; auto resolved here, once."""
    setting = config.get("device") or (paper or {}).get("device") or SCALE_DEVICES[config["scale"]]
    return rule_device(setting)


def gpus(device: str) -> int:
    """Snakemake's `gpu` resource of a job on `device`."""
    return 1 if device.startswith("cuda") else 0


def claim_gpu(n_gpus: int, lock_dir: str | os.PathLike | None = None) -> int:
    """The index of a GPU no other local job holds (a lock per GPU, kept until the process ends); with all busy,
    the first (Snakemake's gpu resource keeps more jobs than GPUs from starting)."""
    lock_dir = Path(lock_dir or os.environ.get("REPL_GPU_LOCK_DIR", tempfile.gettempdir()))
    for index in range(n_gpus):
        handle = open(lock_dir / f"replication-gpu-{index}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held_locks.append(handle)
        return index
    return 0


def resolve_device(device: str) -> str:
    """What a job trains on: auto -> cuda when available, else cpu; plain `cuda` on a machine with several GPUs
    -> the first GPU no other local job holds. An unavailable CUDA device fails with one line."""
    check_device(device)
    if device == "cpu" or (device == "auto" and not cuda_available()):
        return "cpu"
    if not cuda_available():
        raise SystemExit(f"--device {device}: CUDA is not available on this machine")
    import torch

    if device in ("auto", "cuda") and torch.cuda.device_count() > 1:
        return f"cuda:{claim_gpu(torch.cuda.device_count())}"
    return "cuda" if device == "auto" else device
