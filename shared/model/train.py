r"""Fit the dynamics ensemble of one dataset, one model file per seed (all seeds fitted together, vectorised).

  python -m shared.model.train --dataset hopper-medium --seeds 0 1 \
      --out results/models/runs/hopper-medium/seed{seed}

Writes <out>/model.pt and <out>/model.json (hold-out error per member, elites, epochs, training time, hardware)
for every seed, `{seed}` in --out replaced by the seed. `--set key=value` overrides a ModelSettings field
(e.g. --set max_epochs=20 --set hidden=[64,64]).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

import torch
import yaml

from shared.model.ensemble import GaussianEnsemble, ModelSettings, fit_ensemble
from shared.model.store import save_seed_model, split_by_seed


def parse_settings(overrides: list[str]) -> ModelSettings:
    fields = {f.name for f in dataclasses.fields(ModelSettings)}
    values = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or key not in fields:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE with KEY one of {sorted(fields)}")
        value = yaml.safe_load(raw)
        values[key] = tuple(value) if isinstance(value, list) else value
    try:
        return ModelSettings(**values)
    except (TypeError, ValueError) as err:
        raise SystemExit(f"--set: {err}") from None


def main(argv=None) -> None:
    torch.set_num_threads(1)
    p = argparse.ArgumentParser(prog="python -m shared.model.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, help="e.g. hopper-medium, halfcheetah-jump")
    p.add_argument("--source", default="generated", choices=["generated", "minari", "d4rl"])
    p.add_argument("--data-root", default=None)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--out", required=True, help="output directory per seed; '{seed}' is replaced by the seed")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        raise SystemExit(f"--seeds must be distinct non-negative integers, got {args.seeds}")
    if len(args.seeds) > 1 and "{seed}" not in args.out:
        raise SystemExit("--out must contain '{seed}' when fitting several seeds")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available on this machine")
    settings = parse_settings(args.overrides)

    from shared.model.tasks import load_task_dataset  # late: --help and argument errors stay fast

    ds = load_task_dataset(args.dataset, source=args.source, root=args.data_root, device=args.device)
    model = GaussianEnsemble(ds.observations.shape[1], ds.actions.shape[1], args.seeds, settings).to(args.device)

    def progress(epoch, best):
        print(f"epoch {epoch}: best hold-out mse per seed " + " ".join(f"{v:.4f}" for v in best.mean(1).tolist()),
              file=sys.stderr, flush=True)

    report = fit_ensemble(model, ds.observations, ds.actions, ds.rewards, ds.next_observations, progress)
    describe = {"dataset": args.dataset, "source": args.source, "env_id": ds.env_id, "transitions": len(ds),
                "data_sha256": ds.metadata.get("content_sha256"), "device": args.device,
                "command": " ".join(["python -m shared.model.train", *(sys.argv[1:] if argv is None else argv)])}
    for k, (seed, state) in enumerate(zip(args.seeds, split_by_seed(model))):
        save_seed_model(args.out.replace("{seed}", str(seed)), state, seed, settings, model.obs_dim, model.act_dim,
                        report, k, describe)
    print(f"{args.dataset}: elite hold-out mse " + ", ".join(f"{v:.4f}" for v in report.elite_holdout_mse)
          + f" (before training {', '.join(f'{v:.3f}' for v in report.initial_holdout_mse)}), "
          f"epochs {report.epochs}, {report.seconds:.1f} s")


if __name__ == "__main__":
    main()
