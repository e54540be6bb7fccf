r"""Training-engine benchmark: updates/s of every registered algorithm at K = 1, 5, 10 seeds, as ratios to a naive
single-seed PyTorch loop and to plain matmuls of the same shapes; achieved GFLOP/s; evaluation env steps/s;
peak memory. Writes one stable JSON file.

  python -m shared.bench --out results/bench/cpu.json              # CPU, one thread (a few minutes)
  python -m shared.bench --device cuda --out results/bench/cuda.json

Every algorithm trains on a synthetic dataset of halfcheetah's shape (17-d states, 6-d actions) resident on the
device, batch 256, through the engine's FixedDataset (per-seed sampling included, evaluation excluded). Other
modules add algorithms with `BENCHMARKS[name] = factory`, factory(obs_dim, act_dim, seeds, device) -> algorithm.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from shared.baselines import BC, IQL, TD3, TD3BC
from shared.nets import EnsembleLinear
from shared.rl.device import resolve_device
from shared.rl.sac import SAC
from shared.rl.sources import FixedDataset, prepare_transitions
from shared.runs import atomic_write_json

OBS_DIM, ACT_DIM, N_TRANSITIONS, BATCH = 17, 6, 100_000, 256


def _dmg(obs_dim, act_dim, seeds, device):
    from papers.dmg.algorithm import DMG, DMGConfig  # the benchmark reports the papers' methods too

    return DMG(obs_dim, act_dim, 1.0, seeds, DMGConfig(), device)


BENCHMARKS: dict[str, Callable] = {
    "bc": lambda o, a, seeds, device: BC(o, a, 1.0, seeds, None, device),
    "iql": lambda o, a, seeds, device: IQL(o, a, 1.0, seeds, None, device),
    "td3bc": lambda o, a, seeds, device: TD3BC(o, a, 1.0, seeds, None, device),
    "td3": lambda o, a, seeds, device: TD3(o, a, 1.0, seeds, None, device),
    "sac": lambda o, a, seeds, device: SAC(o, a, 1.0, seeds, device=device),
    "dmg": _dmg,
}


def synthetic_data(device: str):
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(N_TRANSITIONS, OBS_DIM, generator=g)
    dataset = SimpleNamespace(observations=obs, actions=torch.rand(N_TRANSITIONS, ACT_DIM, generator=g) * 2 - 1,
                              rewards=torch.randn(N_TRANSITIONS, generator=g), next_observations=obs.roll(1, 0),
                              terminals=torch.zeros(N_TRANSITIONS), obs_mean=obs.mean(0), obs_std=obs.std(0))
    return prepare_transitions(dataset, normalize_states=True, device=device)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(step: Callable[[int], None], steps: int, warmup: int, device: str) -> float:
    """Seconds for `steps` calls of step(t) after `warmup` untimed ones."""
    for t in range(1, warmup + 1):
        step(t)
    _sync(device)
    start = time.perf_counter()
    for t in range(warmup + 1, warmup + steps + 1):
        step(t)
    _sync(device)
    return time.perf_counter() - start


def layer_shapes(algo, source) -> tuple[list[tuple[int, int, int, int]], float]:
    """(K, B, in, out) of every EnsembleLinear forward in one update, and that update's FLOPs (torch's counter)."""
    shapes, hooks = [], []
    modules = [m for m in vars(algo).values() if isinstance(m, nn.Module)]
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, EnsembleLinear):
                hooks.append(layer.register_forward_hook(
                    lambda mod, args, out: shapes.append((*args[0].shape[:2], mod.in_features, mod.out_features))))
    batch = source.sample(BATCH)
    counter = FlopCounterMode(display=False)
    with counter:
        algo.update(batch, 2)       # an even step: the delayed actor updates too
    for hook in hooks:
        hook.remove()
    return shapes, float(counter.get_total_flops())


def matmul_seconds(shapes, device: str, repeats: int) -> tuple[float, float]:
    """(seconds per pass, FLOPs per pass) of plain baddbmm's of the given shapes, three per layer forward (the
    forward and the two backward matmuls of a trained layer)."""
    operands = [(torch.randn(k, 1, o, device=device), torch.randn(k, b, i, device=device),
                 torch.randn(k, i, o, device=device)) for k, b, i, o in shapes]
    flops = sum(3 * 2 * k * b * i * o for k, b, i, o in shapes)

    def one(_):
        for bias, x, w in operands:
            for _ in range(3):
                torch.baddbmm(bias, x, w)
    seconds = _timed(one, repeats, 2, device)
    return seconds / repeats, flops


class NaiveTD3Family:
    """A naive single-seed loop: plain nn.Linear actor, twin critic and value net (DMG's set), host-side data and
    indices copied to the device every step, one update of each net per step."""

    def __init__(self, device: str):
        def mlp(i, o):
            return nn.Sequential(nn.Linear(i, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, o))
        self.device = device
        self.actor, self.q1, self.q2, self.value = (mlp(OBS_DIM, ACT_DIM).to(device),
                                                    mlp(OBS_DIM + ACT_DIM, 1).to(device),
                                                    mlp(OBS_DIM + ACT_DIM, 1).to(device), mlp(OBS_DIM, 1).to(device))
        self.opts = [torch.optim.Adam(m.parameters(), lr=3e-4) for m in (self.actor, self.q1, self.q2, self.value)]
        rng = np.random.default_rng(0)
        self.obs = rng.standard_normal((N_TRANSITIONS, OBS_DIM), dtype=np.float32)
        self.act = rng.uniform(-1, 1, (N_TRANSITIONS, ACT_DIM)).astype(np.float32)
        self.rew = rng.standard_normal(N_TRANSITIONS, dtype=np.float32)
        self.rng = rng

    def update(self, step: int) -> None:
        idx = self.rng.integers(0, N_TRANSITIONS, BATCH)
        obs, act, rew = (torch.from_numpy(x[idx]).to(self.device) for x in (self.obs, self.act, self.rew))
        sa = torch.cat([obs, act], -1)
        with torch.no_grad():
            target = rew + 0.99 * self.value(obs).squeeze(-1)
        losses = [(self.value(obs).squeeze(-1) - target).pow(2).mean(),
                  (self.q1(sa).squeeze(-1) - target).pow(2).mean(),
                  (self.q2(sa).squeeze(-1) - target).pow(2).mean()]
        if step % 2 == 0:
            losses.append(-self.q1(torch.cat([obs, torch.tanh(self.actor(obs))], -1)).mean())
        for opt in self.opts:
            opt.zero_grad(set_to_none=True)
        sum(losses).backward()
        for opt in self.opts:
            opt.step()


def bench_algorithm(name: str, k: int, data, device: str, steps: int, warmup: int, matmul_repeats: int,
                    compile_update: bool = False) -> dict:
    seeds = list(range(k))
    algo = BENCHMARKS[name](OBS_DIM, ACT_DIM, seeds, device)
    source = FixedDataset(data, seeds)
    shapes, flops = layer_shapes(algo, source)
    update = algo.update
    compile_seconds = None
    if compile_update:   # torch.compile of the whole update; its compile time is reported apart
        update = torch.compile(algo.update)
        compile_seconds = _timed(lambda t: update(source.sample(BATCH), t), 2, 0, device)
    seconds = _timed(lambda t: update(source.sample(BATCH), t), steps, warmup, device)
    mm_seconds, mm_flops = matmul_seconds(shapes, device, matmul_repeats)
    rate = steps / seconds
    return {"algo": name, "seeds": k, "updates_per_s": rate, "seed_updates_per_s": rate * k,
            "gflops_per_s": flops * rate / 1e9, "flops_per_update": flops,
            "matmul_gflops_per_s": mm_flops / mm_seconds / 1e9, "compiled": compile_update,
            "compile_seconds": compile_seconds,
            "fraction_of_matmul_gflops": (flops * rate) / (mm_flops / mm_seconds)}


def eval_steps_per_s(members: int, episodes: int, max_steps: int) -> float:
    """Env steps/s of the batched evaluation (K x E HalfCheetah-v5 envs, one policy call per step)."""
    from shared.evaluate import evaluate_policy

    start = time.perf_counter()
    evaluate_policy(lambda obs: np.zeros((*obs.shape[:2], ACT_DIM)), "HalfCheetah-v5", members, episodes, 0,
                    max_episode_steps=max_steps)
    return members * episodes * max_steps / (time.perf_counter() - start)


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(device: str, algos: list[str], seeds: list[int], steps: int, warmup: int, eval_max_steps: int,
        compile_update: bool = False) -> dict:
    data = synthetic_data(device)
    naive = NaiveTD3Family(device)
    naive_rate = steps / _timed(naive.update, steps, warmup, device)
    results = []
    for name in algos:
        for k in seeds:
            row = bench_algorithm(name, k, data, device, steps, warmup, max(5, steps // 10), compile_update)
            row["ratio_to_naive_loop"] = row["seed_updates_per_s"] / naive_rate   # seed-updates per naive update
            results.append(row)
            print(f"{device} {name:6s} K={k:2d}: {row['updates_per_s']:8.1f} upd/s, {row['seed_updates_per_s']:8.1f} "
                  f"seed-upd/s, {row['gflops_per_s']:6.2f} GFLOP/s ({row['fraction_of_matmul_gflops']:.0%} of "
                  f"matmul), x{row['ratio_to_naive_loop']:.2f} naive", flush=True)
    peak = (torch.cuda.max_memory_allocated() if device.startswith("cuda")
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"device": device,
            "device_name": torch.cuda.get_device_name(device) if device.startswith("cuda") else cpu_model(),
            "threads": torch.get_num_threads(), "timed_steps": steps, "warmup_steps": warmup, "batch_size": BATCH,
            "naive_single_seed_updates_per_s": naive_rate, "results": results,
            "eval_env_steps_per_s": eval_steps_per_s(5, 2, eval_max_steps), "peak_memory_bytes": int(peak)}


def main(argv=None) -> dict:
    torch.set_num_threads(1)
    p = argparse.ArgumentParser(prog="python -m shared.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--algos", nargs="+", default=None, help=f"default: all of {sorted(BENCHMARKS)}")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 5, 10], help="K values")
    p.add_argument("--steps", type=int, default=40, help="timed updates per configuration")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--eval-max-steps", type=int, default=200, help="episode length of the evaluation timing")
    p.add_argument("--compile", action="store_true", help="time torch.compile'd updates (compile time apart)")
    p.add_argument("--out", default="results/bench/cpu.json")
    args = p.parse_args(argv)
    algos = args.algos or list(BENCHMARKS)
    unknown = sorted(set(algos) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"--algos {' '.join(unknown)}: unknown; known: {' '.join(sorted(BENCHMARKS))}")
    if min(args.seeds) < 1 or args.steps < 1 or args.warmup < 0 or args.eval_max_steps < 1:
        raise SystemExit("--seeds, --steps and --eval-max-steps must be >= 1 and --warmup >= 0")
    device = resolve_device(args.device)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "torch": torch.__version__, "python": platform.python_version(), "cpu": cpu_model(),
              "cpu_count": os.cpu_count(), "load_average_1_5_15min": list(os.getloadavg()),
              "command": " ".join(["python -m shared.bench", *(sys.argv[1:] if argv is None else argv)]),
              **run(device, algos, args.seeds, args.steps, args.warmup, args.eval_max_steps, args.compile)}
    atomic_write_json(args.out, report)
    return report


if __name__ == "__main__":
    main()
