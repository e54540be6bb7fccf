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
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from shared.baselines import TD3, TD3Config
from shared.baselines.online import FIELDS, ReplayBuffer, SeedEnvs
from shared.nets import member_randn, seed_generators
from shared.rl.offline_loop import EVAL_FIELDS, Transitions, prepare_transitions
from shared.runs import Run, atomic_write_text

METHODS = ("dmg", "iql", "td3")
# Per-seed random streams, apart from the offline ones (sampling 40_000, smoothing noise 30_000).
SAMPLING_SEED_OFFSET, EXPLORATION_SEED_OFFSET, ENV_SEED_OFFSET, EVAL_SEED_OFFSET = 60_000, 70_000, 0, 100


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


@dataclass
class OnlineTask:
    """What turns raw environment data into what the algorithm trained on offline, and scores returns."""

    env_id: str
    max_action: float
    obs_mean: torch.Tensor
    obs_std: torch.Tensor
    reward_scale: float
    reward_shift: float
    score: Callable[[np.ndarray], np.ndarray]

    def normalise(self, obs: np.ndarray) -> torch.Tensor:
        obs = torch.as_tensor(obs, dtype=torch.float32, device=self.obs_mean.device)
        return (obs - self.obs_mean) / self.obs_std

    def reward(self, rewards: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(rewards, dtype=torch.float32) * self.reward_scale + self.reward_shift


def gaussian_exploration(noise: float):
    """a = clip(pi(s) + N(0, (noise * max_action)^2)): the TD3 / DMG exploration of the authors' code."""
    def explore(algo, obs: torch.Tensor, generators, max_action: float) -> torch.Tensor:
        action = algo.act(obs)
        action = action + member_randn(generators, action.shape[1:], action.device) * (noise * max_action)
        return action.clamp(-max_action, max_action)
    return explore


def policy_sampling(algo, obs: torch.Tensor, generators, max_action: float) -> torch.Tensor:
    """IQL fine-tunes by sampling its own stochastic policy."""
    return algo.sample_action(obs, generators)


def uniform_actions(generators: Sequence[torch.Generator], act_dim: int, max_action: float) -> torch.Tensor:
    """U(-max_action, max_action) per seed: TD3's warm-up actions. -> [K, 1, act_dim]"""
    return torch.stack([(torch.rand(1, act_dim, generator=g) * 2 - 1) * max_action for g in generators])


def constant_actor_lr(algo) -> None:
    """Online the actor learns at its initial rate: undo the offline cosine schedule (authors' fine-tuning)."""
    for group in algo.actor_opt.param_groups:
        group["lr"] = group.get("initial_lr", group["lr"])
    algo.actor_sched = torch.optim.lr_scheduler.LambdaLR(algo.actor_opt, lambda _: 1.0)


def finetune(algo, buffer: ReplayBuffer, task: OnlineTask, seeds: Sequence[int], settings: FinetuneSettings,
             run: Run, explore, decay: DecaySchedule | None = None, describe: dict | None = None,
             offline_diverged: Sequence[bool] | None = None) -> dict:
    """Interact and train for settings.online_steps steps (resuming from run's checkpoint); returns final.json."""
    from shared.evaluate import evaluate_policy

    seeds = [int(s) for s in seeds]
    envs = SeedEnvs(task.env_id, [s + ENV_SEED_OFFSET for s in seeds])
    sampling = seed_generators([s + SAMPLING_SEED_OFFSET for s in seeds])
    exploration = seed_generators([s + EXPLORATION_SEED_OFFSET for s in seeds])
    if offline_diverged is not None and any(offline_diverged):
        run.check_finite(0, offline_policy=torch.tensor([math.inf if d else 0.0 for d in offline_diverged]))

    def evaluate(step: int) -> list[dict]:
        alive = run.alive.numpy()

        def act(obs: np.ndarray) -> np.ndarray:
            actions = algo.act(task.normalise(obs)).cpu().numpy()
            actions[~alive] = 0.0  # a diverged seed may output NaN; its score is NaN anyway
            return np.nan_to_num(actions)

        returns = evaluate_policy(act, task.env_id, len(seeds), settings.eval_episodes,
                                  [s + EVAL_SEED_OFFSET for s in seeds])
        scores = task.score(returns)
        rows = [{"step": step, "seed": s, "return": float(returns[k].mean()) if alive[k] else math.nan,
                 "score": float(scores[k].mean()) if alive[k] else math.nan, "diverged": not alive[k]}
                for k, s in enumerate(seeds)]
        tqdm.write(f"[finetune {run.dir.name}] step {step}: score " + " ".join(f"{r['score']:.1f}" for r in rows))
        return rows

    def checkpoint(step: int) -> None:
        run.save_checkpoint({"algo": algo.state_dict(), "buffer": buffer.state_dict(), "envs": envs.state_dict(),
                             "sampling": [g.get_state() for g in sampling],
                             "exploration": [g.get_state() for g in exploration],
                             "eval_rows": eval_rows, "seconds": seconds}, step)

    resumed = run.load_checkpoint()
    if resumed is None:
        start, seconds, eval_rows = 0, 0.0, evaluate(0)
        checkpoint(0)
    else:
        state, start = resumed
        algo.load_state_dict(state["algo"])
        buffer.load_state_dict(state["buffer"])
        envs.load_state_dict(state["envs"])
        for gens, key in ((sampling, "sampling"), (exploration, "exploration")):
            for g, g_state in zip(gens, state[key]):
                g.set_state(g_state)
        eval_rows, seconds = state["eval_rows"], state["seconds"]

    window: dict[str, list[torch.Tensor]] = {}
    tick = time.perf_counter()
    progress = tqdm(range(start + 1, settings.online_steps + 1), initial=start, total=settings.online_steps,
                    desc=f"finetune {run.dir.name}", mininterval=5.0, unit="step")
    for step in progress:
        obs = task.normalise(envs.obs).unsqueeze(1)                                # [K, 1, obs]
        if step <= settings.start_steps:
            action = uniform_actions(exploration, buffer.online["actions"].shape[-1], task.max_action)
        else:
            action = explore(algo, obs, exploration, task.max_action)
        action = torch.nan_to_num(action.squeeze(1).cpu())                          # diverged seeds: NaN
        next_obs, rewards, terminated = envs.step(action.numpy())
        buffer.add(observations=obs.squeeze(1), actions=action, rewards=task.reward(rewards),
                   next_observations=task.normalise(next_obs), terminals=torch.as_tensor(terminated).float())
        if step > settings.start_steps:
            update = step - settings.start_steps
            stats = {}
            if decay is not None:
                algo.cfg.lam, algo.cfg.nu = decay.at(update)
                stats = {"lam": torch.full((len(seeds),), algo.cfg.lam), "nu": torch.full((len(seeds),), algo.cfg.nu)}
            stats.update(algo.update(buffer.sample(sampling, settings.batch_size), update))
            for name, value in stats.items():
                window.setdefault(name, []).append(value.detach().float().cpu())
        log_now = step % settings.log_every == 0 or step == settings.online_steps
        eval_now = step % settings.eval_every == 0 or step == settings.online_steps
        if not (log_now or eval_now):
            continue
        seconds += time.perf_counter() - tick
        means = {name: torch.stack(values).mean(dim=0) for name, values in window.items()}
        window = {}
        run.check_finite(step, **means)
        rate = step / seconds if seconds else math.nan
        run.log(step, env_steps_per_s=rate, episode_return=torch.as_tensor(envs.last_return), **means)
        progress.set_postfix(steps_s=f"{rate:.1f}")
        if eval_now:
            eval_rows += evaluate(step)
            checkpoint(step)
        tick = time.perf_counter()

    write_eval_csv(run.dir / "eval.csv", eval_rows)
    final = summarise(seeds, run, eval_rows, settings, seconds, describe or {})
    run.write_json("final.json", final)
    return final


def write_eval_csv(path: Path, rows: list[dict]) -> None:
    lines = [",".join(EVAL_FIELDS)] + [",".join(str(row[f]) for f in EVAL_FIELDS) for row in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def summarise(seeds: list[int], run: Run, eval_rows: list[dict], settings: FinetuneSettings, seconds: float,
              describe: dict) -> dict:
    def at(step: int, key: str) -> list[float]:
        by_seed = {r["seed"]: r[key] for r in eval_rows if r["step"] == step}
        return [by_seed.get(s, math.nan) for s in seeds]

    last = max(r["step"] for r in eval_rows)
    return {**describe, "seeds": seeds, "online_steps": settings.online_steps,
            "settings": dataclasses.asdict(settings), "final_step": last,
            "offline_score": at(0, "score"), "online_score": at(last, "score"),
            "offline_return": at(0, "return"), "online_return": at(last, "return"),
            "diverged": [s in run.diverged for s in seeds], "seconds": seconds,
            "env_steps_per_s": settings.online_steps / seconds if seconds else math.nan}


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
    p.add_argument("--device", default="cpu", help="cpu or cuda[:i]")
    args = p.parse_args(argv)
    if args.method == "td3":
        if args.seeds is None or args.offline_run is not None:
            raise SystemExit("--method td3 trains from scratch: give --seeds and no --offline-run")
        if args.start_steps is None:
            args.start_steps = 25_000
    elif args.offline_run is None:
        raise SystemExit(f"--method {args.method} needs --offline-run (the offline run directory)")
    if args.seeds is not None and (len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0):
        raise SystemExit(f"--seeds must be distinct non-negative integers, got {args.seeds}")
    if not 0 < args.decay_rate <= 1 or args.decay_every < 1:
        raise SystemExit(f"--decay-rate must be in (0, 1] and --decay-every >= 1, got {args.decay_rate}, "
                         f"{args.decay_every}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available on this machine")
    return args


def read_offline_run(directory: str, method: str, dataset: str, source: str) -> tuple[dict, dict]:
    """(final.json, the algorithm's state dict) of a finished offline run of `method` on `dataset`."""
    path = Path(directory)
    final_path, checkpoint_path = path / "final.json", path / "checkpoint.pt"
    if not final_path.exists() or not checkpoint_path.exists():
        raise SystemExit(f"--offline-run {directory}: no final.json and checkpoint.pt there (run papers.dmg.train)")
    final = json.loads(final_path.read_text())
    if (final.get("algo"), final.get("dataset"), final.get("source")) != (method, dataset, source):
        raise SystemExit(f"--offline-run {directory}: it is {final.get('algo')} on {final.get('dataset')} "
                         f"({final.get('source')}), not {method} on {dataset} ({source})")
    # Read the checkpoint file directly: Run.load_checkpoint would rewrite the offline run's logs.
    payload = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    if payload["step"] != final["steps"]:
        raise SystemExit(f"--offline-run {directory}: checkpoint at step {payload['step']}, run has {final['steps']}")
    return final, payload["state"]["algo"]


def default_label(dataset: str, data: str, online_steps: int) -> str:
    if dataset.startswith("antmaze"):
        return f"{dataset} ({data}), {online_steps} online steps"
    return (f"stand-in: {dataset} ({data}), {online_steps} online steps; "
            f"the paper fine-tunes on D4RL AntMaze for 1000000 steps")


def main(argv=None) -> dict:
    torch.set_num_threads(1)
    args = parse_args(argv)
    # late imports: --help and argument errors stay fast
    from papers.dmg.train import ALGOS, AlgoSpec, build_config, data_label, env_max_action
    from shared.data import load_dataset

    dataset = load_dataset(args.dataset, source=args.source, device="cpu", root=args.data_root)
    antmaze = args.dataset.startswith("antmaze")
    reward_shift = -1.0 if antmaze else 0.0
    max_action = env_max_action(dataset.env_id)
    obs_dim, act_dim = dataset.observations.shape[1], dataset.actions.shape[1]
    try:
        settings = FinetuneSettings(args.online_steps, args.batch_size, min(args.eval_every, args.online_steps),
                                    args.eval_episodes, args.log_every, args.exploration_noise,
                                    args.start_steps or 0)
    except ValueError as err:
        raise SystemExit(f"bad setting: {err}") from None

    decay, offline_diverged = None, None
    if args.method == "td3":
        seeds = args.seeds
        config = build_config(AlgoSpec(TD3, TD3Config), args.overrides, args.online_steps)
        algo = TD3(obs_dim, act_dim, max_action, seeds, config, args.device)
        zero = torch.zeros(obs_dim, device=args.device)
        task = OnlineTask(dataset.env_id, max_action, zero, zero + 1.0, 1.0, reward_shift, dataset.normalized_score)
        offline = None
        explore = gaussian_exploration(args.exploration_noise)
    else:
        final, state = read_offline_run(args.offline_run, args.method, args.dataset, args.source)
        seeds = final["seeds"]
        if args.seeds is not None and args.seeds != seeds:
            raise SystemExit(f"--seeds {args.seeds}: the offline run trained seeds {seeds}")
        spec = ALGOS[args.method]
        # The offline run's config, then --set overrides (e.g. discount=0.995 on antmaze-large).
        config = build_config(dataclasses.replace(spec, defaults=final["config"]), args.overrides, final["steps"])
        algo = spec.cls(obs_dim, act_dim, max_action, seeds, config, args.device)
        algo.load_state_dict(state)
        constant_actor_lr(algo)
        # The offline run's preprocessing, applied to online data too.
        data: Transitions = prepare_transitions(dataset, normalize_states=spec.normalize_states and not antmaze,
                                                reward_scale=final["reward_scale"], reward_shift=reward_shift,
                                                device=args.device)
        offline = {name: getattr(data, name) for name in FIELDS}
        task = OnlineTask(dataset.env_id, max_action, data.obs_mean, data.obs_std, final["reward_scale"],
                          reward_shift, dataset.normalized_score)
        offline_diverged = final["diverged"]
        if args.method == "dmg":
            decay = DecaySchedule(config.lam, config.nu, args.lam_end, args.nu_end, args.decay_rate, args.decay_every)
            explore = gaussian_exploration(args.exploration_noise)
        else:
            explore = policy_sampling

    buffer = ReplayBuffer(offline, len(seeds), args.online_steps, obs_dim, act_dim, args.device)
    data_text = data_label(args.source, dataset)
    describe = {"method": args.method, "dataset": args.dataset, "source": args.source, "env_id": dataset.env_id,
                "data": data_text, "label": args.label or default_label(args.dataset, data_text, args.online_steps),
                "offline_run": args.offline_run, "device": args.device, "config": dataclasses.asdict(config),
                "decay": dataclasses.asdict(decay) if decay else None,
                "command": " ".join(["python -m papers.dmg.finetune", *(sys.argv[1:] if argv is None else argv)])}
    final = finetune(algo, buffer, task, seeds, settings, Run(args.out, seeds), explore, decay, describe,
                     offline_diverged)
    fmt = lambda xs: ", ".join("nan" if math.isnan(x) else f"{x:.1f}" for x in xs)  # noqa: E731
    print(f"finetune {args.method} {args.dataset}: offline [{fmt(final['offline_score'])}] -> "
          f"online [{fmt(final['online_score'])}], {final['env_steps_per_s']:.1f} env steps/s")
    return final


if __name__ == "__main__":
    main()
