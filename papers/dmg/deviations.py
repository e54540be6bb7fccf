"""Measured effect of the choices where our DMG differs from the authors' code (papers/dmg/README.md,
"Deviations and choices"), written to results/dmg/deviations.md.

  python -m papers.dmg.deviations --datasets hopper-medium walker2d-medium-replay --updates 1000 \
      --out results/dmg/deviations.md

1. Rows the authors' `d4rl.qlearning_dataset` drops (time-limit transitions and each file's last row) that we keep
   as bootstrapped transitions: their fraction, and how the state-normalisation statistics move without them.
2. The soft target update: torch's lerp_ (ours) against the authors' tau * p + (1 - tau) * t, over a run of DMG
   updates from the same start on the same batches and noise: max |difference| of the parameters.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from papers.dmg import algorithm
from papers.dmg.algorithm import DMG, DMGConfig
from shared.data import load_dataset
from shared.provenance import machine_info, machine_text
from shared.runs import atomic_write_text

STATE_EPS = 1e-3  # std + 1e-3: the normaliser DMG's code (and ours) applies


def qlearning_dropped(timeouts: np.ndarray) -> np.ndarray:
    """Rows d4rl.qlearning_dataset leaves out: every timeout row (it reads next_obs as obs[i + 1], which crosses
    the episode boundary there) and the last row of the file. bool [N]"""
    dropped = np.asarray(timeouts, dtype=bool).copy()
    dropped[-1] = True
    return dropped


def normalisation_shift(observations: np.ndarray, dropped: np.ndarray) -> tuple[float, float]:
    """Largest change over state dimensions of the mean (in units of the normaliser std) and of the normaliser
    std (relative) when the dropped rows are left out."""
    def stats(x):
        return x.mean(0), x.std(0) + STATE_EPS
    mean_all, std_all = stats(observations)
    mean_kept, std_kept = stats(observations[~dropped])
    return float(np.max(np.abs(mean_kept - mean_all) / std_all)), float(np.max(np.abs(std_kept / std_all - 1)))


def formula_soft_update(target, source, tau: float) -> None:
    """The authors' soft update, written as their code writes it."""
    for t, s in zip(target.parameters(), source.parameters()):
        t.data.copy_(tau * s.data + (1 - tau) * t.data)


def train_params(dataset, checkpoints: list[int], soft_update, seed: int = 0, batch_size: int = 256
                 ) -> dict[int, dict[str, torch.Tensor]]:
    """{step: all DMG parameters after that many updates} with the given soft update (same init, batches and
    noise in every call)."""
    torch.manual_seed(seed)
    obs_dim, act_dim = dataset.observations.shape[1], dataset.actions.shape[1]
    updates = max(checkpoints)
    agent = DMG(obs_dim, act_dim, 1.0, [seed], DMGConfig(total_steps=updates))
    snapshots = {}
    generator = torch.Generator().manual_seed(seed)
    original = algorithm.soft_update
    algorithm.soft_update = soft_update
    try:
        for step in range(1, updates + 1):
            idx = torch.randint(len(dataset.observations), (1, batch_size), generator=generator)
            batch = {k: getattr(dataset, k)[idx] for k in
                     ("observations", "actions", "rewards", "next_observations", "terminals")}
            agent.update(batch, step)
            if step in checkpoints:
                snapshots[step] = {f"{name}.{key}": value.detach().clone()
                                   for name in ("actor", "critic", "value", "actor_target", "critic_target")
                                   for key, value in getattr(agent, name).state_dict().items()}
    finally:
        algorithm.soft_update = original
    return snapshots


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m papers.dmg.deviations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", required=True, help="generated datasets, e.g. hopper-medium")
    parser.add_argument("--updates", type=int, default=1000, help="DMG updates for the soft-update comparison")
    parser.add_argument("--source", default="generated")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.updates < 2:
        raise SystemExit(f"--updates must be >= 2 (the soft update runs every 2nd update), got {args.updates}")
    torch.set_num_threads(1)
    started = time.perf_counter()
    lines = ["# DMG: measured effect of our choices against the authors' code", "",
             f"Command: `python -m papers.dmg.deviations --datasets {' '.join(args.datasets)} --updates "
             f"{args.updates} --out {args.out}`; machine {machine_text(machine_info())}.", "",
             "## Rows the authors' qlearning_dataset drops, kept by us", "",
             "| dataset | rows | dropped (timeouts + last row) | fraction | max shift of the state mean (normaliser stds) "
             "| max relative change of the normaliser std |", "|---|--:|--:|--:|--:|--:|"]
    datasets = {name: load_dataset(name, args.source) for name in args.datasets}
    for name, data in datasets.items():
        dropped = qlearning_dropped(data.timeouts.numpy())
        mean_shift, std_change = normalisation_shift(data.observations.numpy(), dropped)
        lines.append(f"| {name} | {dropped.size} | {int(dropped.sum())} | {dropped.mean():.3%} | {mean_shift:.2e} "
                     f"| {std_change:.2e} |")
    name, data = next(iter(datasets.items()))
    checkpoints = sorted({2, 10, 100, args.updates} & set(range(2, args.updates + 1)))
    ours = train_params(data, checkpoints, algorithm.soft_update)
    again = train_params(data, checkpoints, algorithm.soft_update)
    theirs = train_params(data, checkpoints, formula_soft_update)

    def max_diff(a, b, net=None):
        return max(float((a[k] - b[k]).abs().max()) for k in a if net is None or k.split(".")[0] == net)

    lines += ["", f"## Soft update: lerp_ against tau * p + (1 - tau) * t ({name}, one seed, same init, batches "
              "and noise)", "", "| updates | max abs difference, all parameters | actor | critic | value | "
              "critic_target | the same run twice (lerp_) |", "|--:|--:|--:|--:|--:|--:|--:|"]
    for step in checkpoints:
        a, b = ours[step], theirs[step]
        lines.append(f"| {step} | {max_diff(a, b):.2e} | " + " | ".join(
            f"{max_diff(a, b, net):.2e}" for net in ("actor", "critic", "value", "critic_target"))
            + f" | {max_diff(a, again[step]):.0e} |")
    scale = max(float(v.abs().max()) for v in ours[checkpoints[-1]].values())
    lines += ["", f"Largest |parameter| after {checkpoints[-1]} updates: {scale:.3g}. "
              f"{time.perf_counter() - started:.0f} s on a shared CPU."]
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
