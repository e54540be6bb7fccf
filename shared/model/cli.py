"""The training command line of the model-based papers (COMBO, DROMO): each paper's train.py calls train_main
with its own registry {name: (algorithm class, config class, preset fields)}.

One (dataset, algorithm, setting) with all its seeds in one process, on the shared offline loop: the loop draws
real minibatches, the algorithm mixes in its model rollouts (COMBO.mixed_batch). States stay raw (the dynamics
model, termination rules and data box work on them); setup(data) loads the cached dynamics models and runs on
resume too (it is cheap: it loads files).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys

import torch
import yaml

from shared.rl.offline_loop import LoopSettings, prepare_transitions, train_offline
from shared.runs import Run

Q_LIMIT_FACTOR = 10.0   # |mean Q| beyond 10x the largest discounted return counts as divergence


def build_config(config_cls: type, presets: dict, overrides: list[str]):
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    values = dict(presets)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or key not in fields:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE with KEY one of {sorted(fields)}")
        value = yaml.safe_load(raw)
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(fields[key].default, float) and not isinstance(value, bool):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise SystemExit(f"--set {item}: expected a number") from None
        values[key] = value
    try:
        return config_cls(**values)
    except (TypeError, ValueError) as err:
        raise SystemExit(f"--set: {err}") from None


def parse_args(registry: dict, prog: str, description: str, argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=prog, description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--algo", required=True, choices=sorted(registry))
    p.add_argument("--dataset", required=True, help="e.g. hopper-medium, halfcheetah-jump")
    p.add_argument("--source", default="generated", choices=["generated", "minari", "d4rl"])
    p.add_argument("--data-root", default=None)
    p.add_argument("--seeds", type=int, nargs="+", required=True, help="seeds trained together in one process")
    p.add_argument("--steps", type=int, required=True, help="gradient steps")
    p.add_argument("--batch-size", type=int, default=256, help="real + model transitions per update")
    p.add_argument("--eval-every", type=int, default=1_000)
    p.add_argument("--eval-episodes", type=int, default=10)
    p.add_argument("--log-every", type=int, default=1_000)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field of the algorithm's config (repeatable), e.g. --set beta=0.5")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        raise SystemExit(f"--seeds must be distinct non-negative integers, got {args.seeds}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available on this machine")
    return args


def train_main(registry: dict, argv=None, prog: str = "python -m shared.model.cli", description: str = __doc__) -> dict:
    torch.set_num_threads(1)
    args = parse_args(registry, prog, description, argv)
    algo_cls, config_cls, presets = registry[args.algo]
    config = build_config(config_cls, presets, args.overrides)
    try:
        settings = LoopSettings(steps=args.steps, batch_size=args.batch_size, eval_every=min(args.eval_every, args.steps),
                                eval_episodes=args.eval_episodes, log_every=min(args.log_every, args.eval_every))
    except ValueError as err:
        raise SystemExit(str(err)) from None

    import gymnasium

    from shared.evaluate import evaluate_policy
    from shared.model.tasks import load_task_dataset  # registers HalfCheetahJump-v5

    dataset = load_task_dataset(args.dataset, source=args.source, root=args.data_root)
    data = prepare_transitions(dataset, normalize_states=False, device=args.device)
    settings.q_limit = Q_LIMIT_FACTOR * float(data.rewards.abs().max()) / (1.0 - config.gamma)
    env = gymnasium.make(dataset.env_id)
    max_action = float(env.action_space.high.max())
    env.close()
    algo = algo_cls(data.observations.shape[1], data.actions.shape[1], max_action, args.seeds, config, args.device)
    algo.setup(data)

    def evaluate(act, n_members, episodes, eval_seeds):
        returns = evaluate_policy(act, dataset.env_id, n_members, episodes, eval_seeds)
        return returns, dataset.normalized_score(returns)

    label = "raw return" if dataset.metadata.get("task") else "D4RL-normalised"
    describe = {"algo": args.algo, "dataset": args.dataset, "source": args.source, "env_id": dataset.env_id,
                "data": f"generated {dataset.env_id} (D4RL recipe)" if args.source == "generated" else args.source,
                "score_kind": label, "device": args.device, "config": dataclasses.asdict(config),
                "batch_mean_return": dataset.metadata.get("batch_mean_return"),
                "batch_max_return": dataset.metadata.get("batch_max_return"),
                "command": " ".join([prog, *(sys.argv[1:] if argv is None else argv)])}
    final = train_offline(algo, data, args.seeds, settings, Run(args.out, args.seeds), evaluate, args.device, describe)
    scores = ", ".join("nan" if math.isnan(s) else f"{s:.1f}" for s in final["final_score"])
    print(f"{args.algo} {args.dataset}: final scores [{scores}], {final['updates_per_s']:.1f} updates/s")
    return final
