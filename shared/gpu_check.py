r"""GPU check, one command (`make gpu-check`), under 8 minutes on one GPU, one JSON file:

  1. CPU vs CUDA agreement: every benchmarked algorithm, fixed seed, the same 200 batches on both devices (the
     algorithm's own noise drawn from CPU generators on both, so only the arithmetic differs); passes when the
     mean of every loss over the 200 updates agrees within RTOL (relative) or ATOL.
  2. The engine benchmark (shared.bench) on CUDA.
  3. If time is left: DMG at K = 5 with the update under torch.compile (compile time apart), then a timed DMG
     slice, 5 seeds on one generated dataset, through the training CLI.

  python -m shared.gpu_check --out results/bench/gpu_check.json
  python -m shared.gpu_check --cpu-only --out /tmp/gpu_check.json    # the code path without a GPU (CPU vs CPU)
"""
from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time

import torch

from shared import bench
from shared.runs import atomic_write_json

RTOL, ATOL = 1e-2, 1e-4
AGREEMENT_UPDATES = 200
TIME_BUDGET_S = 8 * 60
COMPILE_RESERVE_S = 240


def _cpu_generators(algo) -> None:
    """Replace every per-member generator list the algorithm owns by CPU generators with the same seeds."""
    for name, value in vars(algo).items():
        if isinstance(value, list) and value and all(isinstance(g, torch.Generator) for g in value):
            setattr(algo, name, [torch.Generator().manual_seed(g.initial_seed()) for g in value])


def loss_means(name: str, device: str, updates: int) -> dict[str, float]:
    """Mean of each statistic over `updates` updates of seed 0 on fixed synthetic batches."""
    torch.manual_seed(0)
    algo = bench.BENCHMARKS[name](bench.OBS_DIM, bench.ACT_DIM, [0], device)
    _cpu_generators(algo)
    g = torch.Generator().manual_seed(1)
    sums: dict[str, float] = {}
    for step in range(1, updates + 1):
        batch = {"observations": torch.randn(1, bench.BATCH, bench.OBS_DIM, generator=g),
                 "actions": torch.rand(1, bench.BATCH, bench.ACT_DIM, generator=g) * 2 - 1,
                 "rewards": torch.randn(1, bench.BATCH, generator=g),
                 "next_observations": torch.randn(1, bench.BATCH, bench.OBS_DIM, generator=g),
                 "terminals": torch.zeros(1, bench.BATCH)}
        stats = algo.update({k: v.to(device) for k, v in batch.items()}, step)
        for key, value in stats.items():
            sums[key] = sums.get(key, 0.0) + value.detach()
    return {key: float(total.sum()) / updates for key, total in sums.items()}


def agreement(reference: str, device: str, updates: int) -> list[dict]:
    rows = []
    for name in bench.BENCHMARKS:
        ref, other = loss_means(name, reference, updates), loss_means(name, device, updates)
        for key in ref:
            diff = abs(ref[key] - other[key])
            rows.append({"algo": name, "stat": key, reference: ref[key], device: other[key], "abs_diff": diff,
                         "ok": diff <= ATOL + RTOL * abs(ref[key])})
        print(f"agreement {name}: " + ("ok" if all(r["ok"] for r in rows if r["algo"] == name) else "DIFFERS"),
              flush=True)
    return rows


def dmg_slice(device: str, steps: int) -> dict:
    """5 seeds of DMG on halfcheetah-medium-replay (generated), timed, evaluation included."""
    from papers.dmg import train

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        final = train.main(["--algo", "dmg", "--dataset", "halfcheetah-medium-replay", "--seeds", "0", "1", "2", "3",
                            "4", "--steps", str(steps), "--eval-every", str(steps // 2), "--eval-episodes", "10",
                            "--log-every", str(steps // 10), "--device", device, "--out", out])
    wall = time.perf_counter() - start
    return {"dataset": "halfcheetah-medium-replay", "seeds": 5, "steps": steps, "wall_seconds": wall,
            "train_seconds": final["train_seconds"], "updates_per_s": final["updates_per_s"],
            "seed_updates_per_s": 5 * final["updates_per_s"], "final_score": final["final_score"],
            "projected_minutes_5_seeds_1m_updates": 1e6 / final["updates_per_s"] / 60}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m shared.gpu_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cpu-only", action="store_true", help="no GPU: run every part on the CPU (a dry run)")
    p.add_argument("--updates", type=int, default=AGREEMENT_UPDATES)
    p.add_argument("--bench-steps", type=int, default=200)
    p.add_argument("--bench-seeds", type=int, nargs="+", default=[1, 5, 10])
    p.add_argument("--slice-steps", type=int, default=50_000)
    p.add_argument("--no-compile-check", dest="compile_check", action="store_false",
                   help="skip the torch.compile timing of DMG")
    p.add_argument("--out", default="results/bench/gpu_check.json")
    args = p.parse_args(argv)
    started = time.perf_counter()
    torch.set_num_threads(1)
    if not args.cpu_only and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here: run on a GPU machine, or pass --cpu-only for a dry run on the CPU")
    device = "cpu" if args.cpu_only else "cuda"
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "torch": torch.__version__, "device": device, "cpu": bench.cpu_model(),
              "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
              "command": " ".join(["python -m shared.gpu_check", *(sys.argv[1:] if argv is None else argv)]),
              "tolerance": {"rtol": RTOL, "atol": ATOL, "updates": args.updates,
                            "rule": "mean of each statistic over the updates, CPU vs device"}}
    if args.cpu_only:
        print("--cpu-only: no CUDA parts; the agreement compares the CPU with itself", flush=True)
    report["agreement"] = agreement("cpu", device, args.updates)
    report["agreement_ok"] = all(r["ok"] for r in report["agreement"])
    report["bench"] = bench.run(device, list(bench.BENCHMARKS), args.bench_seeds, args.bench_steps, 10, 200)
    left = TIME_BUDGET_S - (time.perf_counter() - started)
    if args.compile_check and left > COMPILE_RESERVE_S:
        report["dmg_k5_compiled"] = bench.bench_algorithm("dmg", 5, bench.synthetic_data(device), device,
                                                          args.bench_steps, 10, 20, compile_update=True)
    else:
        report["dmg_k5_compiled"] = f"skipped: {left:.0f} s left (needs {COMPILE_RESERVE_S} s) or not asked for"
    left = TIME_BUDGET_S - (time.perf_counter() - started)
    dmg = [r for r in report["bench"]["results"] if r["algo"] == "dmg"]
    k5_rate = next((r["updates_per_s"] for r in dmg if r["seeds"] == 5), dmg[0]["seed_updates_per_s"] / 5)
    expected = args.slice_steps / k5_rate * 1.3   # evaluation and loading on top
    if expected < left:
        report["dmg_slice"] = dmg_slice(device, args.slice_steps)
    else:
        report["dmg_slice"] = f"skipped: about {expected:.0f} s needed, {left:.0f} s left of the 8-minute budget"
        print(report["dmg_slice"], flush=True)
    report["seconds"] = time.perf_counter() - started
    atomic_write_json(args.out, report)
    print(f"gpu check: agreement {'ok' if report['agreement_ok'] else 'FAILED'}, {report['seconds']:.0f} s, "
          f"{args.out}")
    return report


if __name__ == "__main__":
    main()
