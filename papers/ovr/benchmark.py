"""BCQ and BCQ+OVR update throughput at K = 1 and K = 5 seeds vectorised in one process (CPU, and CUDA when present).

  python -m papers.ovr.benchmark --steps 30 --out results/ovr/benchmark.json

Times `--steps` updates (after `--warmup` untimed ones) with BCQ's batch 100 on a synthetic dataset of hopper's
shape (11-d states, 3-d actions, 100k transitions), minibatch sampling included, evaluation excluded. CPU runs use
one thread (the project's convention). Reports updates/s per process and projected hours for K seeds x 1M updates.
"""
from __future__ import annotations

import argparse
import time

import torch

from papers.dmg.benchmark import cpu_model
from papers.ovr.algorithm import BCQOVR, OVRConfig
from shared.baselines.bcq import BCQ, BCQConfig
from shared.nets import sample_indices, seed_generators
from shared.rl.offline_loop import Transitions
from shared.runs import atomic_write_json

OBS_DIM, ACT_DIM, N_TRANSITIONS, BATCH = 11, 3, 100_000, 100
ALGOS = {"bcq": (BCQ, BCQConfig), "bcq_ovr": (BCQOVR, lambda: OVRConfig(dice_setup_steps=0))}


def synthetic_data(device: str) -> Transitions:
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(N_TRANSITIONS, OBS_DIM, generator=g)
    return Transitions(obs.to(device), (torch.rand(N_TRANSITIONS, ACT_DIM, generator=g) * 2 - 1).to(device),
                       torch.rand(N_TRANSITIONS, generator=g).to(device), obs.roll(-1, 0).to(device),
                       torch.zeros(N_TRANSITIONS, device=device), torch.zeros(OBS_DIM, device=device),
                       torch.ones(OBS_DIM, device=device))


def updates_per_second(name: str, k: int, steps: int, warmup: int, device: str, data: Transitions) -> float:
    cls, config = ALGOS[name]
    algo = cls(OBS_DIM, ACT_DIM, 1.0, list(range(k)), config(), device)
    algo.setup(data)
    generators = seed_generators(range(k))

    def run(first: int, count: int) -> None:
        for step in range(first, first + count):
            algo.update(data.sample(sample_indices(generators, len(data), BATCH, device)), step)

    run(1, warmup)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    run(warmup + 1, steps)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m papers.ovr.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 5], help="K values")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.steps < 1 or args.warmup < 0 or min(args.seeds) < 1:
        raise SystemExit("--steps must be >= 1, --warmup >= 0 and every K >= 1")
    torch.set_num_threads(1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        data = synthetic_data(device)
        for name in ALGOS:
            for k in args.seeds:
                rate = updates_per_second(name, k, args.steps, args.warmup, device, data)
                rows.append({"algo": name, "device": device, "seeds": k, "updates_per_s": rate,
                             "seed_updates_per_s": rate * k, "projected_hours_k_seeds_1m_updates": 1e6 / rate / 3600,
                             "device_name": torch.cuda.get_device_name() if device == "cuda" else cpu_model()})
                print(f"{name} {device} K={k}: {rate:.2f} updates/s ({rate * k:.2f} seed-updates/s)")
    atomic_write_json(args.out, {"timed_steps": args.steps, "batch": BATCH, "threads": 1, "rows": rows})


if __name__ == "__main__":
    main()
