r"""Offline-to-online fine-tuning (paper Sec. 5.4, App. C.2, Table 4; authors' train_finetune.py), K seeds at once.

  python -m papers.dmg.finetune --method dmg --dataset antmaze-umaze --source minari \
      --offline-run results/dmg/runs/offline/antmaze-umaze/dmg --online-steps 1000000 \
      --eval-every 50000 --eval-episodes 100 --out results/dmg/runs/finetune/antmaze-umaze/dmg

Methods:
  dmg  loads the offline DMG run (its checkpoint.pt and final.json, written by papers.dmg.train), then per online
       step: act with N(0, (0.1 max_action)^2) exploration, store the transition, one update (UTD 1) on a batch
       drawn uniformly from the offline dataset + online data. lambda and nu move exponentially towards
       lambda_end = 0.5 and nu_end = 1% of nu: every 1000 updates decay_rate *= 0.99 and
       lambda = lambda_end - (lambda_end - lambda_0) decay_rate,  nu = nu_end + (nu_0 - nu_end) decay_rate.
  iql  the same from an offline IQL run; IQL explores by sampling its Gaussian policy (IQL's own protocol).
  td3  TD3 from scratch: empty buffer, uniform random actions for --start-steps, then 0.1 exploration noise.
Online, the actor learning rate is constant at its initial value (no cosine schedule; authors' code).
The offline run's state normalisation and reward transform are applied to online transitions too.

Outputs in --out: metrics.jsonl, eval.csv (step, seed, return, score, diverged; step 0 = the offline policy),
final.json with per-seed lists `offline_score` (step 0) and `online_score` (last evaluation), their returns,
`diverged`, and `data` / `label` saying what was run (a generated locomotion dataset is a stand-in for the
paper's AntMaze tasks and is labelled so). checkpoint.pt lets a killed job resume bit-exactly.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from shared.baselines import TD3, TD3Config
from shared.rl.cli import AlgoSpec, build_config, check_seeds, command_line, data_label, env_max_action
from shared.rl.device import DEVICES, resolve_device
from shared.rl.loop import LoopResult, LoopSettings, train
from shared.rl.sources import GaussianExploration, OnlineBuffer, OnlineTask, PolicySampling, prepare_transitions
from shared.runs import Run, load_torch

METHODS = ("dmg", "iql", "td3")


@dataclass
class FinetuneSettings:
    online_steps: int
    batch_size: int = 256
    eval_every: int = 50_000
    eval_episodes: int = 100
    log_every: int = 1_000
    exploration_noise: float = 0.1  # std of the Gaussian exploration noise, in units of max_action
    start_steps: int = 0            # uniform random actions, and no updates, for this many steps

    def __post_init__(self):
        for name in ("online_steps", "batch_size", "eval_every", "eval_episodes", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.start_steps < 0 or self.exploration_noise < 0:
            raise ValueError("start_steps and exploration_noise must be >= 0")


@dataclass
class DecaySchedule:
    """DMG's online schedule of (lambda, nu) (App. C.2): exponential moves towards (lam_end, nu_end)."""

    lam_start: float
    nu_start: float
    lam_end: float = 0.5
    nu_end: float | None = None     # None: 1% of nu_start, as the paper states
    rate: float = 0.99
    every: int = 1000

    def __post_init__(self):
        if self.nu_end is None:
            self.nu_end = 0.01 * self.nu_start

    def at(self, update: int) -> tuple[float, float]:
        """(lambda, nu) used by online update number `update` (1-based): decay_rate *= rate at every
        `every`-th update, before that update runs."""
        decay = self.rate ** (update // self.every)
        return (self.lam_end - (self.lam_end - self.lam_start) * decay,
                self.nu_end + (self.nu_start - self.nu_end) * decay)


def constant_actor_lr(algo) -> None:
    """Online the actor learns at its initial rate: undo the offline cosine schedule (authors' fine-tuning)."""
    for group in algo.actor_opt.param_groups:
        group["lr"] = group.get("initial_lr", group["lr"])
    algo.actor_sched = torch.optim.lr_scheduler.LambdaLR(algo.actor_opt, lambda _: 1.0)


def decay_schedule(decay: DecaySchedule):
    """The loop's schedule hook: DMG's (lambda, nu) of each online update, logged as statistics."""
    def schedule(algo, update: int) -> dict[str, torch.Tensor]:
        algo.cfg.lam, algo.cfg.nu = decay.at(update)
        n = len(algo.seeds)
        return {"lam": torch.full((n,), algo.cfg.lam), "nu": torch.full((n,), algo.cfg.nu)}
    return schedule


def finetune_summary(settings: FinetuneSettings):
    """final.json of a fine-tuning run: the step-0 (offline) and last evaluation per seed."""
    def summarise(result: LoopResult) -> dict:
        def at(step: int, key: str) -> list[float]:
            by_seed = {r["seed"]: r[key] for r in result.eval_rows if r["step"] == step}
            return [by_seed.get(s, math.nan) for s in result.seeds]

        last, seconds = max(r["step"] for r in result.eval_rows), result.seconds
        return {**result.describe, "seeds": result.seeds, "online_steps": settings.online_steps,
                "settings": dataclasses.asdict(settings), "final_step": last,
                "offline_score": at(0, "score"), "online_score": at(last, "score"),
                "offline_return": at(0, "return"), "online_return": at(last, "return"),
                "diverged": [s in result.run.diverged for s in result.seeds], "seconds": seconds,
                "env_steps_per_s": settings.online_steps / seconds if seconds else math.nan}
    return summarise


# ---- command line -----------------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m papers.dmg.finetune", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--dataset", required=True, help="D4RL-style name, e.g. antmaze-umaze, hopper-medium")
    p.add_argument("--source", default="generated", choices=["generated", "minari", "d4rl"])
    p.add_argument("--data-root", default=None, help="dataset root (default: data/ under the repo)")
    p.add_argument("--offline-run", default=None, help="dmg/iql: the offline run directory (papers.dmg.train --out)")
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="td3: required; dmg/iql: default and only choice is the offline run's seeds")
    p.add_argument("--online-steps", type=int, required=True, help="environment steps (paper: 1000000)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--eval-every", type=int, default=50_000, help="paper: 50000")
    p.add_argument("--eval-episodes", type=int, default=100, help="paper: 100 (AntMaze)")
    p.add_argument("--log-every", type=int, default=1_000)
    p.add_argument("--exploration-noise", type=float, default=0.1, help="dmg/td3: std in units of max_action")
    p.add_argument("--start-steps", type=int, default=None, help="td3: uniform random warm-up steps (TD3: 25000)")
    p.add_argument("--lam-end", type=float, default=0.5, help="dmg: lambda's online target")
    p.add_argument("--nu-end", type=float, default=None, help="dmg: nu's online target (default 1%% of nu)")
    p.add_argument("--decay-rate", type=float, default=0.99, help="dmg: decay factor per --decay-every updates")
    p.add_argument("--decay-every", type=int, default=1000)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override an algorithm config field online, e.g. discount=0.995 (antmaze-large)")
    p.add_argument("--label", default=None, help="what this run stands for (default: derived from the data)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--device", default="cpu", help=DEVICES + " (auto: cuda when available)")
    args = p.parse_args(argv)
    if args.method == "td3":
        if args.seeds is None or args.offline_run is not None:
            raise SystemExit("--method td3 trains from scratch: give --seeds and no --offline-run")
        if args.start_steps is None:
            args.start_steps = 25_000
    elif args.offline_run is None:
        raise SystemExit(f"--method {args.method} needs --offline-run (the offline run directory)")
    check_seeds(args.seeds)
    if not 0 < args.decay_rate <= 1 or args.decay_every < 1:
        raise SystemExit(f"--decay-rate must be in (0, 1] and --decay-every >= 1, got {args.decay_rate}, "
                         f"{args.decay_every}")
    return args


def read_offline_run(directory: str, method: str, dataset: str, source: str) -> tuple[dict, dict, str]:
    """(final.json, the algorithm's state dict, the checkpoint's sha256) of a finished offline run of `method` on
    `dataset`. The hash joins the fine-tuning run's fingerprint: a retrained offline run starts it afresh."""
    path = Path(directory)
    final_path, checkpoint_path = path / "final.json", path / "checkpoint.pt"
    if not final_path.exists() or not checkpoint_path.exists():
        raise SystemExit(f"--offline-run {directory}: no final.json and checkpoint.pt there (run papers.dmg.train)")
    final = json.loads(final_path.read_text())
    if (final.get("algo"), final.get("dataset"), final.get("source")) != (method, dataset, source):
        raise SystemExit(f"--offline-run {directory}: it is {final.get('algo')} on {final.get('dataset')} "
                         f"({final.get('source')}), not {method} on {dataset} ({source})")
    # Read the checkpoint file directly: Run.load_checkpoint would rewrite the offline run's logs.
    raw = checkpoint_path.read_bytes()
    payload = load_torch(io.BytesIO(raw))
    if payload["step"] != final["steps"]:
        raise SystemExit(f"--offline-run {directory}: checkpoint at step {payload['step']}, run has {final['steps']}")
    return final, payload["state"]["algo"], hashlib.sha256(raw).hexdigest()


def default_label(dataset: str, data: str, online_steps: int) -> str:
    if dataset.startswith("antmaze"):
        return f"{dataset} ({data}), {online_steps} online steps"
    return (f"stand-in: {dataset} ({data}), {online_steps} online steps; "
            f"the paper fine-tunes on D4RL AntMaze for 1000000 steps")


def main(argv=None) -> dict:
    torch.set_num_threads(1)
    args = parse_args(argv)
    device = resolve_device(args.device)
    # late imports: --help and argument errors stay fast
    from papers.dmg.train import ALGOS
    from shared.data import load_dataset
    from shared.rl.cli import dataset_evaluator

    dataset = load_dataset(args.dataset, source=args.source, device="cpu", root=args.data_root)
    antmaze = args.dataset.startswith("antmaze")
    reward_shift = -1.0 if antmaze else 0.0
    max_action = env_max_action(dataset.env_id)
    obs_dim, act_dim = dataset.observations.shape[1], dataset.actions.shape[1]
    try:
        settings = FinetuneSettings(args.online_steps, args.batch_size, min(args.eval_every, args.online_steps),
                                    args.eval_episodes, args.log_every, args.exploration_noise,
                                    args.start_steps or 0)
        loop = LoopSettings(steps=settings.online_steps, batch_size=settings.batch_size,
                            eval_every=settings.eval_every, eval_episodes=settings.eval_episodes,
                            log_every=min(settings.log_every, settings.eval_every))
    except ValueError as err:
        raise SystemExit(f"bad setting: {err}") from None

    decay, offline_diverged, offline, offline_hash = None, None, None, None
    if args.method == "td3":
        seeds = args.seeds
        config = build_config(AlgoSpec(TD3, TD3Config), args.overrides, args.online_steps)
        algo = TD3(obs_dim, act_dim, max_action, seeds, config, device)
        zero = torch.zeros(obs_dim, device=device)
        task = OnlineTask(dataset.env_id, max_action, zero, zero + 1.0, 1.0, reward_shift)
        explore = GaussianExploration(seeds, args.exploration_noise, act_dim, settings.start_steps)
    else:
        final, state, offline_hash = read_offline_run(args.offline_run, args.method, args.dataset, args.source)
        seeds = final["seeds"]
        if args.seeds is not None and args.seeds != seeds:
            raise SystemExit(f"--seeds {args.seeds}: the offline run trained seeds {seeds}")
        spec = ALGOS[args.method]
        # The offline run's config, then --set overrides (e.g. discount=0.995 on antmaze-large).
        config = build_config(dataclasses.replace(spec, defaults=final["config"]), args.overrides, final["steps"])
        algo = spec.cls(obs_dim, act_dim, max_action, seeds, config, device)
        algo.load_state_dict(state)
        constant_actor_lr(algo)
        # The offline run's preprocessing, applied to online data too.
        offline = prepare_transitions(dataset, normalize_states=spec.normalize_states and not antmaze,
                                      reward_scale=final["reward_scale"], reward_shift=reward_shift, device=device)
        task = OnlineTask(dataset.env_id, max_action, offline.obs_mean, offline.obs_std, final["reward_scale"],
                          reward_shift)
        offline_diverged = final["diverged"]
        if args.method == "dmg":
            decay = DecaySchedule(config.lam, config.nu, args.lam_end, args.nu_end, args.decay_rate, args.decay_every)
            explore = GaussianExploration(seeds, args.exploration_noise, act_dim)
        else:
            explore = PolicySampling()

    source = OnlineBuffer(task, seeds, args.online_steps, explore, offline, settings.start_steps, device)
    data_text = data_label(args.source, dataset)
    describe = {"method": args.method, "dataset": args.dataset, "source": args.source, "env_id": dataset.env_id,
                "data": data_text, "label": args.label or default_label(args.dataset, data_text, args.online_steps),
                "offline_run": args.offline_run, "device": device, "config": dataclasses.asdict(config),
                "decay": dataclasses.asdict(decay) if decay else None,
                "command": command_line("python -m papers.dmg.finetune", argv)}
    final = train(algo, source, loop, Run(args.out, seeds), dataset_evaluator(dataset), describe=describe,
                  summarise=finetune_summary(settings), schedule=decay_schedule(decay) if decay else None,
                  evaluate_at_start=True, rate_name="env_steps_per_s", diverged_at_start=offline_diverged,
                  fingerprint_extra={"settings": dataclasses.asdict(settings), "decay": describe["decay"],
                                     "offline_checkpoint": offline_hash})
    fmt = lambda xs: ", ".join("nan" if math.isnan(x) else f"{x:.1f}" for x in xs)  # noqa: E731
    print(f"finetune {args.method} {args.dataset}: offline [{fmt(final['offline_score'])}] -> "
          f"online [{fmt(final['online_score'])}], {final['env_steps_per_s']:.1f} env steps/s")
    return final


if __name__ == "__main__":
    main()
