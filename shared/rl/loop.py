"""The one training loop: offline, offline-to-online and online training of K seeds in one process.

Per step: `source.before_update(step, algo)` (an environment step, model rollouts, or nothing), then, past the
source's warm-up, one minibatch per seed (each from that seed's own stream) and one `algo.update(batch, update)`.
Every `log_every` steps the per-seed statistics, averaged over the window on the device, go to metrics.jsonl and
are checked for divergence; every `eval_every` steps the deterministic policy is rolled out and scored, and a
resumable checkpoint is written. At the end: eval.csv (step, seed, return, score, diverged) and final.json.

A checkpoint made from other data or settings (its fingerprint differs) is discarded, never resumed.
`algo.setup(source.data)` runs on fresh runs only; a resumed algorithm gets its state from the checkpoint.
The protocols of algorithms and sources: shared/rl/protocol.py.
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

from shared.rl import streams
from shared.runs import Run, atomic_write_text

EVAL_FIELDS = ("step", "seed", "return", "score", "diverged")


@dataclass
class LoopSettings:
    steps: int
    batch_size: int = 256
    eval_every: int = 20_000
    eval_episodes: int = 10
    log_every: int = 1_000
    eval_seed_offset: int = streams.ENV_OFFSETS["eval_env"]   # the authors seed the evaluation env with seed + 100
    q_limit: float = math.inf          # |mean Q| beyond this counts as diverged (besides non-finite values)

    def __post_init__(self):
        for name in ("steps", "batch_size", "eval_every", "eval_episodes", "log_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"LoopSettings.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("eval_every", "steps"):
            if getattr(self, name) % self.log_every:
                raise ValueError(f"{name} ({getattr(self, name)}) must be a multiple of log_every ({self.log_every})")


# evaluate(act, n_members, episodes, eval_seeds [K]) -> (returns [K, E], normalised scores [K, E]); act: np -> np.
Evaluator = Callable[[Callable[[np.ndarray], np.ndarray], int, int, list[int]], tuple[np.ndarray, np.ndarray]]
# schedule(algo, update) -> stats [K]: sets schedule-driven config values before update `update` (1-based).
Schedule = Callable[[object, int], dict[str, torch.Tensor]]


@dataclass
class LoopResult:
    """What a finished loop hands to its summary (final.json)."""

    seeds: list[int]
    settings: LoopSettings
    run: Run
    eval_rows: list[dict]
    last_stats: dict[str, torch.Tensor]
    seconds: float
    describe: dict


class _WindowMeans:
    """Per-seed means of each statistic over the steps since the last log (stats may appear every k-th step).
    Sums stay on the device: nothing is read back to the host until the log."""

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


def train(algo, source, settings: LoopSettings, run: Run, evaluate: Evaluator, *, describe: dict | None = None,
          summarise: Callable[[LoopResult], dict] | None = None, schedule: Schedule | None = None,
          evaluate_at_start: bool = False, rate_name: str = "updates_per_s",
          diverged_at_start: Sequence[bool] | None = None, fingerprint_extra=None) -> dict:
    """Train `algo` on `source` for settings.steps steps (resuming from run's checkpoint if it matches); writes
    eval.csv and final.json (summarise(result), by default offline_summary) and returns final.json's dict.

    evaluate_at_start scores the initial policy as step 0 (fine-tuning: the offline policy); diverged_at_start
    marks seeds diverged before training (an offline run's diverged seeds); fingerprint_extra is anything else
    the run depends on (say, the hash of the checkpoint it starts from)."""
    seeds = list(algo.seeds)
    describe = describe or {}
    fingerprint = run_fingerprint(source, seeds, settings, describe.get("config"), fingerprint_extra)
    resumed = run.load_checkpoint()
    if resumed is not None and resumed[0].get("fingerprint") != fingerprint:
        tqdm.write(f"[{run.dir.name}] checkpoint was made with other data or settings: starting afresh")
        _discard_progress(run)
        resumed = None

    def checkpoint(step: int) -> None:
        run.save_checkpoint({"algo": algo.state_dict(), "source": source.state_dict(), "eval_rows": eval_rows,
                             "train_seconds": train_seconds, "last_stats": last_stats,
                             "fingerprint": fingerprint}, step)

    eval_rows: list[dict] = []
    start, train_seconds, last_stats = 0, 0.0, {}
    if resumed is not None:
        state, start = resumed
        algo.load_state_dict(state["algo"])
        source.load_state_dict(state["source"])
        eval_rows, train_seconds, last_stats = state["eval_rows"], state["train_seconds"], state["last_stats"]
    else:
        if diverged_at_start is not None and any(diverged_at_start):
            run.check_finite(0, offline_policy=torch.tensor([math.inf if d else 0.0 for d in diverged_at_start]))
        algo.setup(source.data)
        if evaluate_at_start:
            eval_rows = _evaluate(algo, source, seeds, run, evaluate, settings, 0)
            checkpoint(0)

    window = _WindowMeans()
    tick = time.perf_counter()
    progress = tqdm(range(start + 1, settings.steps + 1), initial=start, total=settings.steps,
                    desc=f"train {run.dir.name}", mininterval=5.0, unit="step")
    for step in progress:
        source.before_update(step, algo)
        update = step - source.warmup_steps
        if update >= 1:
            stats = schedule(algo, update) if schedule is not None else {}
            stats.update(algo.update(source.sample(settings.batch_size), update))
            window.add(stats)
        if step % settings.log_every:
            continue
        train_seconds += time.perf_counter() - tick
        last_stats = window.pop()
        _check_divergence(run, step, last_stats, settings.q_limit)
        rate = step / train_seconds if train_seconds else math.nan  # resumed runs: overall rate
        run.log(step, **{rate_name: rate}, **source.stats(), **last_stats)
        progress.set_postfix(rate=f"{rate:.1f}")
        if step % settings.eval_every == 0 or step == settings.steps:
            eval_rows += _evaluate(algo, source, seeds, run, evaluate, settings, step)
            checkpoint(step)
        tick = time.perf_counter()

    _write_eval_csv(run.dir / "eval.csv", eval_rows)
    result = LoopResult(seeds, settings, run, eval_rows, last_stats, train_seconds, describe)
    final = (summarise or offline_summary)(result)
    run.write_json("final.json", final)
    return final


def run_fingerprint(source, seeds: list[int], settings: LoopSettings, config, extra=None) -> str:
    """Hash of everything a run's numbers depend on: a checkpoint made from other data or settings (say the
    dataset was regenerated, or the offline run a fine-tuning starts from was retrained) must not be resumed."""
    parts = [seeds, asdict(settings), config] + ([extra] if extra is not None else [])
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    source.fingerprint(digest)
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


def _evaluate(algo, source, seeds: list[int], run: Run, evaluate: Evaluator, settings: LoopSettings,
              step: int) -> list[dict]:
    alive = run.alive.numpy()

    def act(obs: np.ndarray) -> np.ndarray:
        actions = algo.act(source.normalise(obs)).cpu().numpy()
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


def offline_summary(result: LoopResult) -> dict:
    """final.json of an offline run: the last evaluation's score and return per seed, the last statistics."""
    seeds, run, settings = result.seeds, result.run, result.settings
    last_step = max((r["step"] for r in result.eval_rows), default=None)
    last = {r["seed"]: r for r in result.eval_rows if r["step"] == last_step}
    diverged = [s in run.diverged for s in seeds]
    per_seed_stat = {name: [math.nan if d else float(v) for v, d in zip(value.tolist(), diverged)]
                     for name, value in result.last_stats.items()}
    return {
        **result.describe,
        "seeds": seeds,
        "steps": settings.steps,
        "loop": asdict(settings),
        "final_step": last_step,
        "final_score": [last[s]["score"] if s in last else math.nan for s in seeds],
        "final_return": [last[s]["return"] if s in last else math.nan for s in seeds],
        "diverged": diverged,
        "final_stats": per_seed_stat,
        "train_seconds": result.seconds,
        "updates_per_s": settings.steps / result.seconds if result.seconds else math.nan,
    }
