"""DMG update throughput: one seed, K seeds vectorised in one process, and K seeds run one after another.

  python -m papers.dmg.benchmark --seeds 5 --steps 300 --out results/dmg/benchmark.json

Times `--steps` DMG updates (after `--warmup` untimed ones) with batch 256 on a synthetic dataset of
halfcheetah's shape (17-d states, 6-d actions, 200k transitions), minibatch sampling included, evaluation
excluded. Reports updates per second per process and per seed, the vectorised speed-up over sequential runs,
and the projected time for K seeds x 1M updates. CPU runs use one thread (the project's convention).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from types import SimpleNamespace

import torch

from papers.dmg.algorithm import DMG, DMGConfig
from shared.nets import sample_indices, seed_generators
from shared.rl.sources import prepare_transitions
from shared.runs import atomic_write_json

OBS_DIM, ACT_DIM, N_TRANSITIONS = 17, 6, 200_000


def synthetic_data(device: str):
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(N_TRANSITIONS, OBS_DIM, generator=g)
    dataset = SimpleNamespace(observations=obs, actions=torch.rand(N_TRANSITIONS, ACT_DIM, generator=g) * 2 - 1,
                              rewards=torch.randn(N_TRANSITIONS, generator=g), next_observations=obs.roll(1, 0),
                              terminals=torch.zeros(N_TRANSITIONS), obs_mean=obs.mean(0), obs_std=obs.std(0))
    return prepare_transitions(dataset, normalize_states=True, device=device)


def updates_per_second(seeds: list[int], steps: int, warmup: int, device: str, data) -> float:
    """Updates per second of one process training `seeds` together."""
    algo = DMG(OBS_DIM, ACT_DIM, 1.0, seeds, DMGConfig(total_steps=steps + warmup), device)
    generators = seed_generators(seeds)

    def run(first: int, count: int) -> None:
        for step in range(first, first + count):
            algo.update(data.sample(sample_indices(generators, len(data), 256, device)), step)

    run(1, warmup)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    run(warmup + 1, steps)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def benchmark(device: str, k: int, steps: int, warmup: int) -> dict:
    data = synthetic_data(device)
    single = [updates_per_second([s], steps, warmup, device, data) for s in range(k)]
    sequential_seconds = sum(steps / rate for rate in single)            # K runs one after another
    vectorised = updates_per_second(list(range(k)), steps, warmup, device, data)
    vectorised_seed_rate = vectorised * k
    sequential_seed_rate = k * steps / sequential_seconds
    return {
        "device": device,
        "device_name": torch.cuda.get_device_name(device) if device.startswith("cuda") else cpu_model(),
        "threads": torch.get_num_threads(),
        "seeds": k,
        "timed_steps": steps,
        "single_seed_updates_per_s": sum(single) / k,
        "vectorised_updates_per_s": vectorised,
        "vectorised_seed_updates_per_s": vectorised_seed_rate,
        "sequential_seed_updates_per_s": sequential_seed_rate,
        "speedup_vectorised_over_sequential": vectorised_seed_rate / sequential_seed_rate,
        "projected_hours_k_seeds_1m_updates_vectorised": 1e6 / vectorised / 3600,
        "projected_hours_k_seeds_1m_updates_sequential": k * 1e6 / sequential_seed_rate / 3600,
    }


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> dict:
    torch.set_num_threads(1)
    p = argparse.ArgumentParser(prog="python -m papers.dmg.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5, help="K, the seeds of the vectorised run")
    p.add_argument("--steps", type=int, default=300, help="timed updates per configuration")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--devices", nargs="+", default=None, help="default: cpu, plus cuda when available")
    p.add_argument("--out", default="results/dmg/benchmark.json")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.steps < 1 or args.warmup < 0:
        raise SystemExit(f"--seeds and --steps must be >= 1 and --warmup >= 0, got {args.seeds}, {args.steps}, "
                         f"{args.warmup}")
    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    bad = [d for d in devices if d.startswith("cuda") and not torch.cuda.is_available() or
           not d.startswith(("cpu", "cuda"))]
    if bad:
        raise SystemExit(f"--devices {' '.join(bad)}: not available here (cpu, or cuda with a GPU)")
    results = []
    for device in devices:
        result = benchmark(device, args.seeds, args.steps, args.warmup)
        results.append(result)
        print(f"{device} ({result['device_name']}): 1 seed {result['single_seed_updates_per_s']:.1f} upd/s; "
              f"{args.seeds} seeds vectorised {result['vectorised_updates_per_s']:.1f} upd/s "
              f"= {result['vectorised_seed_updates_per_s']:.1f} seed-upd/s vs sequential "
              f"{result['sequential_seed_updates_per_s']:.1f} (x{result['speedup_vectorised_over_sequential']:.2f}); "
              f"{args.seeds} seeds x 1M updates: {result['projected_hours_k_seeds_1m_updates_vectorised']:.1f} h")
    # Other jobs on the machine slow every configuration alike; the load average says how busy it was.
    report = {"torch": torch.__version__, "python": platform.python_version(), "results": results,
              "load_average_1_5_15min": list(os.getloadavg()), "cpu_count": os.cpu_count(),
              "command": " ".join(["python -m papers.dmg.benchmark", *(sys.argv[1:] if argv is None else argv)])}
    atomic_write_json(args.out, report)
    return report


if __name__ == "__main__":
    main()
