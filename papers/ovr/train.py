r"""Offline training of one (dataset, algorithm) of the OVR paper with all its seeds in one process.

  python -m papers.ovr.train --algo bcq_ovr --dataset hopper-medium --seeds 0 1 2 3 4 --steps 1000000 \
      --out results/ovr/runs/table1/hopper-medium/bcq_ovr

Algorithms: bcq (shared/baselines/bcq.py), bcq_ovr (eq 7 as printed; the headline), bcq_ovr_corrected (the
Fenchel step done right; ablation), bcq_iw (BCQ with the TD loss weighted by the DualDICE ratio; Fig. 2's
BCQ + I.W.). `--set key=value` overrides a field of the config dataclass (e.g. --set ovr_lambda=0.03).
`--reward-noise-std 1` adds N(0, 1) noise to every reward, drawn once per dataset from --reward-noise-seed
(Fig. 3), identically for every method and seed.
Writes <out>/metrics.jsonl, eval.csv, final.json, checkpoint.pt (a killed run resumes) and, for the methods with
a ratio estimator, ratio.json (the ratio over the data at the end: mean, max, quantiles, histogram).

Runs on the existing offline loop (shared/rl/offline_loop.py): the engine's shared training CLI was not on
its branch when this paper was built.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys

import torch

from papers.dmg.train import AlgoSpec, Q_LIMIT_FACTOR, build_config, data_label, env_max_action
from papers.ovr.algorithm import BCQOVR, OVRConfig
from shared.data.catalog import parse_d4rl_name
from shared.baselines.bcq import BCQ, BCQConfig
from shared.rl.offline_loop import LoopSettings, prepare_transitions, train_offline
from shared.runs import Run, atomic_write_text

ALGOS = {
    "bcq": AlgoSpec(BCQ, BCQConfig, normalize_states=False),
    "bcq_ovr": AlgoSpec(BCQOVR, OVRConfig, {"reward_form": "printed"}, normalize_states=False),
    "bcq_ovr_corrected": AlgoSpec(BCQOVR, OVRConfig, {"reward_form": "corrected"}, normalize_states=False),
    "bcq_iw": AlgoSpec(BCQOVR, OVRConfig, {"reward_form": "none", "importance_weights": True},
                       normalize_states=False),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m papers.ovr.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--algo", required=True, choices=sorted(ALGOS))
    p.add_argument("--dataset", required=True,
                   help="D4RL-style name, e.g. hopper-medium-replay; with --source d4rl a -v0 suffix reads the paper's "
                        "D4RL v0 files (hopper-mixed-v0 = hopper-medium-replay-v0)")
    p.add_argument("--source", default="generated", choices=["generated", "minari", "d4rl"])
    p.add_argument("--data-root", default=None, help="dataset root (default: data/ under the repo)")
    p.add_argument("--seeds", type=int, nargs="+", required=True, help="seeds trained together in one process")
    p.add_argument("--steps", type=int, required=True, help="gradient steps (BCQ's default: 1000000)")
    p.add_argument("--batch-size", type=int, default=100, help="BCQ's default: 100")
    p.add_argument("--eval-every", type=int, default=5_000, help="BCQ's default: 5000")
    p.add_argument("--eval-episodes", type=int, default=10, help="BCQ's default: 10")
    p.add_argument("--log-every", type=int, default=1_000)
    p.add_argument("--reward-noise-std", type=float, default=0.0, help="Fig. 3: 1.0 (r + N(0, 1))")
    p.add_argument("--reward-noise-seed", type=int, default=0)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field of the algorithm's config (repeatable)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:i]")
    args = p.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        raise SystemExit(f"--seeds must be distinct non-negative integers, got {args.seeds}")
    if args.reward_noise_std < 0:
        raise SystemExit(f"--reward-noise-std must be >= 0, got {args.reward_noise_std}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available on this machine")
    return args


def reward_noise(n: int, std: float, seed: int) -> torch.Tensor:
    """N(0, std^2) per transition from a generator of its own: the same noise for every method and seed."""
    return std * torch.randn(n, generator=torch.Generator().manual_seed(seed))


def main(argv=None) -> dict:
    torch.set_num_threads(1)
    args = parse_args(argv)
    spec = ALGOS[args.algo]
    config = build_config(spec, args.overrides, args.steps)
    try:
        settings = LoopSettings(steps=args.steps, batch_size=args.batch_size, eval_every=args.eval_every,
                                eval_episodes=args.eval_episodes, log_every=min(args.log_every, args.eval_every))
    except ValueError as err:
        raise SystemExit(str(err)) from None

    from shared.data import load_dataset  # imported late: --help and argument errors stay fast
    from shared.evaluate import evaluate_policy

    dataset = load_dataset(args.dataset, source=args.source, device="cpu", root=args.data_root)
    data = prepare_transitions(dataset, normalize_states=spec.normalize_states, device=args.device)
    if args.reward_noise_std > 0:
        data.rewards = data.rewards + reward_noise(len(data), args.reward_noise_std,
                                                   args.reward_noise_seed).to(args.device)
    settings.q_limit = Q_LIMIT_FACTOR * float(data.rewards.abs().max()) / (1.0 - config.discount)

    obs_dim, act_dim = data.observations.shape[1], data.actions.shape[1]
    algo = spec.cls(obs_dim, act_dim, env_max_action(dataset.env_id), args.seeds, config, args.device)
    algo.setup(data)   # on resume the checkpoint's state replaces what setup built

    def evaluate(act, n_members, episodes, eval_seeds):
        returns = evaluate_policy(act, dataset.env_id, n_members, episodes, eval_seeds)
        return returns, dataset.normalized_score(returns)

    command = " ".join(["python -m papers.ovr.train", *(sys.argv[1:] if argv is None else argv)])
    describe = {"algo": args.algo, "dataset": args.dataset, "source": args.source, "env_id": dataset.env_id,
                "data": (f"D4RL {parse_d4rl_name(args.dataset)[1]}" if args.source == "d4rl"
                         else data_label(args.source, dataset)), "device": args.device,
                "reward_noise_std": args.reward_noise_std, "reward_noise_seed": args.reward_noise_seed,
                "config": dataclasses.asdict(config), "command": command}
    run = Run(args.out, args.seeds)
    final = train_offline(algo, data, args.seeds, settings, run, evaluate, args.device, describe)
    if hasattr(algo, "ratio_diagnostics"):
        atomic_write_text(run.dir / "ratio.json", json.dumps(algo.ratio_diagnostics(data), indent=1))
    scores = ", ".join("nan" if math.isnan(s) else f"{s:.1f}" for s in final["final_score"])
    print(f"{args.algo} {args.dataset}: final scores [{scores}], {final['updates_per_s']:.1f} updates/s")
    return final


if __name__ == "__main__":
    main()
