"""Where a run ran: the CPU model and torch's CPU capability, recorded with every run.

Runs are bit-identical on one machine type, not across CPU types: a different SIMD path (AVX2 vs AVX-512)
rounds float32 differently, and training amplifies that, so a result records the machine it came from.
"""
from __future__ import annotations

import os
import platform
from functools import lru_cache
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux; platform's answer elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def torch_cpu_capability() -> str:
    """torch's CPU kernel level (e.g. AVX2, AVX512), or 'no torch' where torch is not installed."""
    try:
        import torch
    except ImportError:
        return "no torch"
    return str(torch.backends.cpu.get_cpu_capability())


@lru_cache(maxsize=1)
def machine_info() -> dict[str, str | int]:
    """{cpu, torch_cpu_capability, cores, platform, python, torch}: put it in every run's final.json as "machine"."""
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    return {"cpu": cpu_model(), "torch_cpu_capability": torch_cpu_capability(), "cores": os.cpu_count() or 0,
            "platform": platform.platform(), "python": platform.python_version(), "torch": torch_version}


def machine_text(info: dict) -> str:
    """One line for a report: 'AMD EPYC 7B13 (torch AVX2), 2 cores'."""
    return f"{info.get('cpu', 'unknown CPU')} (torch {info.get('torch_cpu_capability', '?')}), {info.get('cores', '?')} cores"
