"""The offline training loop shared by every offline algorithm: K seeds trained together in one process.

Per step: one minibatch per seed (each drawn from that seed's own generator), one `algo.update(batch, step)`.
Every `log_every` steps the per-seed statistics, averaged over the window, go to metrics.jsonl and are checked for
divergence; every `eval_every` steps the deterministic policy is rolled out and scored, and a resumable
checkpoint is written. At the end: eval.csv (step, seed, return, score) and final.json (per-seed results).

Algorithm protocol (see papers/dmg/algorithm.py): __init__(obs_dim, act_dim, max_action, seeds, config, device),
update(batch, step) -> {name: Tensor [K]}, act(obs [K, E, obs]) -> [K, E, act], state_dict(), load_state_dict().
The algorithm sees normalised states and transformed rewards; `act` is given normalised observations.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from shared.nets import sample_indices, seed_generators
from shared.runs import Run, atomic_write_text

STATE_EPS = 1e-3          # std + 1e-3, as TD3+BC / IQL / DMG normalise states
SAMPLING_SEED_OFFSET = 40_000
EVAL_FIELDS = ("step", "seed", "return", "score", "diverged")


@dataclass
class LoopSettings:
    steps: int
    batch_size: int = 256
    eval_every: int = 20_000
    eval_episodes: int = 10
    log_every: int = 1_000
    eval_seed_offset: int = 100        # the authors seed the evaluation env with seed + 100
    q_limit: float = math.inf          # |mean Q| beyond this counts as diverged (besides non-finite values)

    def __post_init__(self):
        for name in ("steps", "batch_size", "eval_every", "eval_episodes", "log_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"LoopSettings.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("eval_every", "steps"):
            if getattr(self, name) % self.log_every:
                raise ValueError(f"{name} ({getattr(self, name)}) must be a multiple of log_every ({self.log_every})")


@dataclass
class Transitions:
    """Training tensors on the device, states normalised and rewards transformed as the algorithm expects them."""

    observations: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_observations: torch.Tensor
    terminals: torch.Tensor
    obs_mean: torch.Tensor        # applied to evaluation observations too
    obs_std: torch.Tensor         # includes STATE_EPS

    def __len__(self) -> int:
        return self.observations.shape[0]

    def sample(self, indices: torch.Tensor) -> dict[str, torch.Tensor]:
        """indices [K, B] -> batch of [K, B, ...] tensors."""
        return {name: getattr(self, name)[indices]
                for name in ("observations", "actions", "rewards", "next_observations", "terminals")}

    def normalise(self, obs: torch.Tensor) -> torch.Tensor:
        return (obs - self.obs_mean) / self.obs_std


def prepare_transitions(dataset, normalize_states: bool, reward_scale: float = 1.0, reward_shift: float = 0.0,
                        device: str = "cpu") -> Transitions:
    """r <- reward_scale * r + reward_shift (AntMaze: shift -1); states standardised with the dataset's
    mean and std + 1e-3 when `normalize_states` (identity otherwise)."""
    obs = dataset.observations.to(device)
    if normalize_states:
        mean, std = dataset.obs_mean.to(device), dataset.obs_std.to(device) + STATE_EPS
    else:
        mean, std = torch.zeros(obs.shape[1], device=device), torch.ones(obs.shape[1], device=device)
    return Transitions(
        observations=(obs - mean) / std,
        actions=dataset.actions.to(device),
        rewards=dataset.rewards.to(device) * reward_scale + reward_shift,
        next_observations=(dataset.next_observations.to(device) - mean) / std,
        terminals=dataset.terminals.to(device),
        obs_mean=mean, obs_std=std,
    )


# evaluate(act, n_members, episodes, eval_seeds [K]) -> (returns [K, E], normalised scores [K, E]); act: np -> np.
Evaluator = Callable[[Callable[[np.ndarray], np.ndarray], int, int, list[int]], tuple[np.ndarray, np.ndarray]]


class _WindowMeans:
    """Per-seed means of each statistic over the steps since the last log (stats may appear every k-th step)."""

    def __init__(self):
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, stats: dict[str, torch.Tensor]) -> None:
        for name, value in stats.items():
            value = value.detach().float()
            self.sums[name] = self.sums[name] + value if name in self.sums else value.clone()
            self.counts[name] = self.counts.get(name, 0) + 1

    def pop(self) -> dict[str, torch.Tensor]:
        means = {name: total / self.counts[name] for name, total in self.sums.items()}
        self.sums, self.counts = {}, {}
        return means


def train_offline(algo, data: Transitions, seeds: Sequence[int], settings: LoopSettings, run: Run,
                  evaluate: Evaluator, device: str = "cpu", describe: dict | None = None) -> dict:
    """Train `algo` for settings.steps updates (resuming from run's checkpoint if any); returns final.json's dict."""
    seeds = [int(s) for s in seeds]
    generators = seed_generators([s + SAMPLING_SEED_OFFSET for s in seeds])
    eval_rows: list[dict] = []
    start, train_seconds, last_stats = 0, 0.0, {}
    fingerprint = run_fingerprint(data, seeds, settings, (describe or {}).get("config"))
    resumed = run.load_checkpoint()
    if resumed is not None and resumed[0].get("fingerprint") != fingerprint:
        tqdm.write(f"[{run.dir.name}] checkpoint was made with other data or settings: starting afresh")
        _discard_progress(run)
        resumed = None
    if resumed is not None:
        state, start = resumed
        algo.load_state_dict(state["algo"])
        for g, g_state in zip(generators, state["generators"]):
            g.set_state(g_state)
        eval_rows, train_seconds, last_stats = state["eval_rows"], state["train_seconds"], state["last_stats"]

    window = _WindowMeans()
    tick = time.perf_counter()
    progress = tqdm(range(start + 1, settings.steps + 1), initial=start, total=settings.steps,
                    desc=f"train {run.dir.name}", mininterval=5.0, unit="upd")
    for step in progress:
        batch = data.sample(sample_indices(generators, len(data), settings.batch_size, device))
        window.add(algo.update(batch, step))
        if step % settings.log_every:
            continue
        train_seconds += time.perf_counter() - tick
        last_stats = window.pop()
        _check_divergence(run, step, last_stats, settings.q_limit)
        rate = step / train_seconds if train_seconds else math.nan  # resumed runs: overall rate
        run.log(step, updates_per_s=rate, **last_stats)
        progress.set_postfix(upd_s=f"{rate:.1f}")
        if step % settings.eval_every == 0 or step == settings.steps:
            eval_rows += _evaluate(algo, data, seeds, run, evaluate, settings, step)
            run.save_checkpoint({"algo": algo.state_dict(), "generators": [g.get_state() for g in generators],
                                 "eval_rows": eval_rows, "train_seconds": train_seconds, "last_stats": last_stats,
                                 "fingerprint": fingerprint}, step)
        tick = time.perf_counter()

    _write_eval_csv(run.dir / "eval.csv", eval_rows)
    final = _final_summary(seeds, run, eval_rows, last_stats, settings, train_seconds, describe or {})
    run.write_json("final.json", final)
    return final


def run_fingerprint(data: Transitions, seeds: list[int], settings: LoopSettings, config) -> str:
    """Hash of everything a run's numbers depend on: a checkpoint made from other data or settings (say the
    dataset was regenerated) must not be resumed."""
    digest = hashlib.sha256(json.dumps([seeds, asdict(settings), config], sort_keys=True, default=str).encode())
    for name in ("observations", "actions", "rewards", "next_observations", "terminals", "obs_mean", "obs_std"):
        digest.update(getattr(data, name).detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _discard_progress(run: Run) -> None:
    for path in (run.checkpoint_path, run.metrics_path, run.diverged_path):
        path.unlink(missing_ok=True)
    run.diverged = {}


def _check_divergence(run: Run, step: int, stats: dict[str, torch.Tensor], q_limit: float) -> None:
    """Non-finite statistics, or a learned Q beyond q_limit, mark the seed as diverged."""
    run.check_finite(step, **stats)
    if "q_mean" in stats and math.isfinite(q_limit):
        q = stats["q_mean"]
        run.check_finite(step, q_mean_beyond_limit=torch.where(q.abs() > q_limit, torch.full_like(q, math.inf), q))


def _evaluate(algo, data: Transitions, seeds: list[int], run: Run, evaluate: Evaluator,
              settings: LoopSettings, step: int) -> list[dict]:
    alive = run.alive.numpy()

    def act(obs: np.ndarray) -> np.ndarray:
        obs_t = torch.as_tensor(obs, dtype=torch.float32, device=data.obs_mean.device)
        actions = algo.act(data.normalise(obs_t)).cpu().numpy()
        # A diverged seed may output NaN; give its envs zeros so the simulator keeps going (its score is NaN).
        actions[~alive] = 0.0
        return np.nan_to_num(actions)

    # One evaluation seed per training seed, so a seed's score does not depend on the seeds trained beside it.
    eval_seeds = [s + settings.eval_seed_offset for s in seeds]
    returns, scores = evaluate(act, len(seeds), settings.eval_episodes, eval_seeds)
    rows = []
    for k, seed in enumerate(seeds):
        ok = bool(alive[k])
        rows.append({"step": step, "seed": seed, "return": float(returns[k].mean()) if ok else math.nan,
                     "score": float(scores[k].mean()) if ok else math.nan, "diverged": not ok})
    tqdm.write(f"[{run.dir.name}] step {step}: score " + " ".join(f"{r['score']:.1f}" for r in rows))
    return rows


def _write_eval_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EVAL_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def _final_summary(seeds, run: Run, eval_rows, last_stats, settings: LoopSettings, train_seconds: float,
                   describe: dict) -> dict:
    last_step = max((r["step"] for r in eval_rows), default=None)
    last = {r["seed"]: r for r in eval_rows if r["step"] == last_step}
    diverged = [s in run.diverged for s in seeds]
    per_seed_stat = {name: [math.nan if d else float(v) for v, d in zip(value.tolist(), diverged)]
                     for name, value in last_stats.items()}
    return {
        **describe,
        "seeds": seeds,
        "steps": settings.steps,
        "loop": asdict(settings),
        "final_step": last_step,
        "final_score": [last[s]["score"] if s in last else math.nan for s in seeds],
        "final_return": [last[s]["return"] if s in last else math.nan for s in seeds],
        "diverged": diverged,
        "final_stats": per_seed_stat,
        "train_seconds": train_seconds,
        "updates_per_s": settings.steps / train_seconds if train_seconds else math.nan,
    }
