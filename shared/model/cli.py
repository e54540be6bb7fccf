"""The training command line of the model-based papers (COMBO, DROMO): each paper's train.py calls train_main
with its own registry of shared.rl.cli.AlgoSpec (normalize_states=False).

One (dataset, algorithm, setting) with all its seeds in one process, on the engine's loop (shared/rl/loop.py)
over a FixedDataset: the loop draws the real minibatch, the algorithm keeps its model rollouts in its own
per-seed buffer and mixes them in (COMBO.mixed_batch; the engine's ModelMixture needs the same number of new
transitions per seed, which branches that end at terminals do not give). States stay raw: the dynamics model,
the termination rules and the data box work on them. algo.setup(data) loads the cached dynamics models.
Besides shared.rl.cli's datasets this one knows halfcheetah-jump (shared/model/tasks.py).
"""
from __future__ import annotations

import dataclasses
import math

import torch

from shared.rl.cli import (Q_LIMIT_FACTOR, build_config, build_parser, check_seeds, command_line, data_label,
                           dataset_evaluator, env_max_action, resolve_device)
from shared.rl.loop import LoopSettings, train
from shared.rl.sources import FixedDataset, prepare_transitions
from shared.runs import Run


def train_main(registry: dict, argv=None, prog: str = "python -m shared.model.cli", description: str = __doc__) -> dict:
    torch.set_num_threads(1)
    args = build_parser(registry, prog, description).parse_args(argv)
    check_seeds(args.seeds)
    device = resolve_device(args.device)
    spec = registry[args.algo]
    config = build_config(spec, args.overrides, args.steps)
    try:
        settings = LoopSettings(steps=args.steps, batch_size=args.batch_size, eval_every=min(args.eval_every, args.steps),
                                eval_episodes=args.eval_episodes, log_every=min(args.log_every, args.eval_every))
    except ValueError as err:
        raise SystemExit(str(err)) from None

    from shared.model.tasks import load_task_dataset  # late: --help stays fast; registers HalfCheetahJump-v5

    dataset = load_task_dataset(args.dataset, source=args.source, root=args.data_root)
    data = prepare_transitions(dataset, normalize_states=spec.normalize_states, device=device)
    settings.q_limit = Q_LIMIT_FACTOR * float(data.rewards.abs().max()) / (1.0 - config.gamma)
    algo = spec.cls(data.observations.shape[1], data.actions.shape[1], env_max_action(dataset.env_id), args.seeds,
                    config, device)
    describe = {"algo": args.algo, "dataset": args.dataset, "source": args.source, "env_id": dataset.env_id,
                "data": data_label(args.source, dataset), "score_label": dataset.metadata.get("score_label"),
                "device": device, "config": dataclasses.asdict(config),
                "batch_mean_return": dataset.metadata.get("batch_mean_return"),
                "batch_max_return": dataset.metadata.get("batch_max_return"), "command": command_line(prog, argv)}
    final = train(algo, FixedDataset(data, args.seeds), settings, Run(args.out, args.seeds), dataset_evaluator(dataset),
                  describe=describe)
    scores = ", ".join("nan" if math.isnan(s) else f"{s:.1f}" for s in final["final_score"])
    print(f"{args.algo} {args.dataset}: final scores [{scores}], {final['updates_per_s']:.1f} updates/s")
    return final
