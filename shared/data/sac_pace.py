"""Learning benchmark of the behaviour SAC (a script, not a CI test): train it for a fixed budget on one env and
print the deterministic return of every checkpoint beside a stated reference pace.

    python -m shared.data.sac_pace --env halfcheetah --steps 30000 [--seeds 0 1] [--scale paper]
        [--out results/data/sac_pace_halfcheetah.json]

The hyperparameters are the scale's behaviour SAC (`agent` in config/papers/data.yaml) with its warm-up
(`sac.start_steps`); the seeds train together (one process, seed-vectorised). Evaluation is deterministic (the
tanh of the mean action), as in the reference measurements.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from shared.data.behaviour import family_evaluator, hardware, online_sac
from shared.data.catalog import LOCOMOTION, generated_env_id
from shared.data.settings import load_settings
from shared.rl.loop import train
from shared.runs import Run, atomic_write_json

# Issue 9, "What was measured": CleanRL's sac_continuous_action.py and this project's SAC on Gymnasium v5, 30k env
# steps, 5k random start steps, 2 seeds, deterministic evaluation (returns at 30k steps).
REFERENCE_PACE = {
    "halfcheetah": {"steps": 30_000, "CleanRL (q_lr 1e-3, policy_lr 3e-4)": [1626, 2557],
                    "ours with critic and temperature lr 1e-3": [1943, 2573], "ours with lr 3e-4": [615, 633],
                    "CleanRL with q_lr 3e-4": [427]},
    "hopper": {"steps": 30_000, "CleanRL and ours (roughly)": [250, 440]},
}
REFERENCE_SOURCE = ("issue 9 (measured: CleanRL sac_continuous_action.py vs this project's SAC on Gymnasium v5, 30k "
                    "env steps, 5k random start steps, 2 seeds, deterministic evaluation)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.data.sac_pace", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, choices=sorted(LOCOMOTION))
    parser.add_argument("--steps", type=int, default=30_000, help="env steps (default 30000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--scale", default="paper", help="whose behaviour SAC (default paper: the D4RL-level one)")
    parser.add_argument("--eval-every", type=int, default=5_000)
    parser.add_argument("--eval-episodes", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", help="write the results JSON here")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    torch.set_num_threads(1)
    settings = load_settings(args.scale)
    if args.steps <= settings.sac.start_steps or args.steps % args.eval_every:
        raise SystemExit(f"--steps ({args.steps}) must exceed the warm-up ({settings.sac.start_steps}) and be a "
                         f"multiple of --eval-every ({args.eval_every})")
    budget = replace(settings.sac, total_steps=args.steps, checkpoint_every=args.eval_every,
                     eval_episodes=args.eval_episodes)
    family = LOCOMOTION[args.env]
    agent, source, loop = online_sac(generated_env_id(family), args.seeds, budget, settings.agent, args.device)
    start, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as run_dir:
        run = Run(run_dir, args.seeds)
        final = train(agent, source, loop, run, family_evaluator(family), rate_name="env_steps_per_s",
                      describe={"config": asdict(settings.agent)})
        rows = _eval_rows(Path(run_dir) / "eval.csv")
    report = {
        "env": args.env, "env_id": generated_env_id(family), "steps": args.steps, "seeds": args.seeds,
        "start_steps": settings.sac.start_steps, "eval_episodes": args.eval_episodes, "evaluation": "deterministic",
        "sac": asdict(settings.agent), "sac_source": settings.agent_source, "returns": rows,
        "reference": REFERENCE_PACE.get(args.env), "reference_source": REFERENCE_SOURCE,
        "train_seconds": final["train_seconds"], "wall_seconds": time.perf_counter() - start,
        "updates_per_s": (args.steps - settings.sac.start_steps) / final["train_seconds"],
        "load_average_1min": [load_before, os.getloadavg()[0]], "hardware": hardware(args.device),
        "command": "python -m shared.data.sac_pace " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    _print(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(args.out, report)


def _eval_rows(path: Path) -> list[dict]:
    """{step, returns per seed} from the loop's eval.csv."""
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    by_step: dict[int, list[float]] = {}
    for line in lines[1:]:
        record = dict(zip(header, line.split(",")))
        by_step.setdefault(int(record["step"]), []).append(float(record["return"]))
    return [{"step": step, "returns": returns, "mean": float(np.mean(returns))} for step, returns in by_step.items()]


def _print(report: dict) -> None:
    print(f"{report['env_id']}: behaviour SAC, seeds {report['seeds']}, deterministic returns "
          f"({report['eval_episodes']} episodes) per checkpoint")
    for row in report["returns"]:
        print(f"  step {row['step']:>7}: " + "  ".join(f"{r:8.0f}" for r in row["returns"]))
    reference = report["reference"]
    if reference is None:
        print("  reference pace: none measured for this env")
    else:
        print(f"  reference at {reference['steps']} steps ({report['reference_source']}):")
        for name, values in reference.items():
            if name != "steps":
                print(f"    {name}: {values}")
    print(f"  {report['updates_per_s']:.1f} updates/s, {report['wall_seconds']:.0f} s wall, load "
          f"{report['load_average_1min'][0]:.1f} -> {report['load_average_1min'][1]:.1f}")


if __name__ == "__main__":
    main()
