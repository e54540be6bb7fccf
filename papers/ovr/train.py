r"""Offline training of one (dataset, algorithm) of the OVR paper with all its seeds in one process.

  python -m papers.ovr.train --algo bcq_ovr --dataset hopper-medium --seeds 0 1 2 3 4 --steps 1000000 \
      --batch-size 100 --eval-every 5000 --eval-episodes 10 --out results/ovr/runs/table1/hopper-medium/bcq_ovr

Algorithms: bcq (shared/baselines/bcq.py), bcq_ovr (eq 7 as printed; the headline), bcq_ovr_corrected (the
Fenchel step done right; ablation), bcq_iw (BCQ with the TD loss weighted by the DualDICE ratio; Fig. 2's
BCQ + I.W.). `--set key=value` overrides a field of the config dataclass (e.g. --set ovr_lambda=0.03).
BCQ's own defaults are batch 100, evaluation every 5000 updates over 10 episodes (pass them; the shared CLI's
defaults are other papers'). With --source d4rl a -v0 suffix reads the paper's D4RL v0 files
(hopper-mixed-v0 = hopper-medium-replay-v0).
`--reward-noise-std 1` adds N(0, 1) noise to every reward, drawn once per dataset from --reward-noise-seed
(Fig. 3), identically for every method and seed.
Writes <out>/metrics.jsonl, eval.csv, final.json, checkpoint.pt (a killed run resumes) and, for the methods with
a ratio estimator, ratio.json (the ratio over the data at the end: mean, max, quantiles, histogram).
"""
from __future__ import annotations

import json

import torch

from papers.ovr.algorithm import BCQOVR, OVRConfig
from shared.baselines.bcq import BCQ, BCQConfig
from shared.rl.cli import AlgoSpec, train_main
from shared.runs import atomic_write_text

ALGOS = {
    "bcq": AlgoSpec(BCQ, BCQConfig, normalize_states=False),
    "bcq_ovr": AlgoSpec(BCQOVR, OVRConfig, {"reward_form": "printed"}, normalize_states=False),
    "bcq_ovr_corrected": AlgoSpec(BCQOVR, OVRConfig, {"reward_form": "corrected"}, normalize_states=False),
    "bcq_iw": AlgoSpec(BCQOVR, OVRConfig, {"reward_form": "none", "importance_weights": True},
                       normalize_states=False),
}


def reward_noise(n: int, std: float, seed: int) -> torch.Tensor:
    """N(0, std^2) per transition from a generator of its own: the same noise for every method and seed."""
    return std * torch.randn(n, generator=torch.Generator().manual_seed(seed))


def non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(text)
    return value


def add_noise_arguments(parser) -> None:
    parser.add_argument("--reward-noise-std", type=non_negative, default=0.0, help="Fig. 3: 1.0 (r + N(0, 1))")
    parser.add_argument("--reward-noise-seed", type=int, default=0)


def add_reward_noise(args, data) -> dict:
    if args.reward_noise_std > 0:
        noise = reward_noise(len(data), args.reward_noise_std, args.reward_noise_seed)
        data.rewards = data.rewards + noise.to(data.rewards.device)
    return {"reward_noise_std": args.reward_noise_std, "reward_noise_seed": args.reward_noise_seed}


def write_ratio_diagnostics(args, algo, data, run) -> None:
    if hasattr(algo, "ratio_diagnostics"):
        atomic_write_text(run.dir / "ratio.json", json.dumps(algo.ratio_diagnostics(data), indent=1))


def main(argv=None) -> dict:
    return train_main(ALGOS, argv, prog="python -m papers.ovr.train", description=__doc__,
                      extra_arguments=add_noise_arguments, prepare=add_reward_noise, finish=write_ratio_diagnostics)


if __name__ == "__main__":
    main()
