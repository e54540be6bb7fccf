"""Train the SAC behaviour policy of one environment (the first half of the D4RL recipe).

Writes to <out>/:
  policies.pt     the actor of every checkpoint (every `checkpoint_every` env steps), for rollouts
  replay.npz      every transition SAC saw, in order (medium-replay is its prefix up to the medium checkpoint)
  metrics.jsonl   training diagnostics per checkpoint (the loop's window means)
  eval.csv, final.json  the loop's evaluation rows and summary
  checkpoint.pt   the loop state for resuming, while training runs (removed when done)
  progress.json   while training runs: each checkpoint's score so far, with wall time, load and hardware
  behaviour.json  manifest: env, seed, SAC settings and hyperparameters with their source, each checkpoint's
                  evaluated returns, wall time, hardware; written last, so its presence means the rest is complete
                  (it is the Snakemake output)
"""
from __future__ import annotations

import io
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from shared.data.carry import CARRY_FILE, restore_carry
from shared.data.catalog import EnvFamily, generated_env_id
from shared.evaluate import evaluate_policy, normalized_score
from shared.nets import member_randn, seed_generators
from shared.rl import streams
from shared.rl.loop import LoopSettings, run_fingerprint, train
from shared.rl.sac import SAC, SACConfig, TanhGaussianActor
from shared.rl.sources import OnlineBuffer, OnlineTask, PolicySampling
from shared.runs import Run, atomic_write_bytes, atomic_write_json, load_torch

EVAL_SEED_OFFSET = streams.ENV_OFFSETS["eval_env"]  # evaluation never shares seeds with training (DMG authors)
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BehaviourSettings:
    total_steps: int
    start_steps: int        # uniformly random actions before this step; SAC updates start here too
    checkpoint_every: int
    eval_episodes: int
    seed: int = 0

    def __post_init__(self):
        if not 0 < self.start_steps < self.total_steps:
            raise SystemExit(f"bad SAC settings: need 0 < start_steps ({self.start_steps}) < total_steps "
                             f"({self.total_steps})")
        if self.checkpoint_every < 1 or self.eval_episodes < 1 or self.total_steps % self.checkpoint_every:
            raise SystemExit(f"bad SAC settings: checkpoint_every ({self.checkpoint_every}) and eval_episodes "
                             f"({self.eval_episodes}) must be >= 1, and total_steps a multiple of checkpoint_every")


def stochastic_policy(actor: TanhGaussianActor, seed: int):
    """The data-generating policy: a ~ pi(.|s) with noise from its own generator. obs [K, E, d] -> [K, E, a]."""
    generators = seed_generators([seed] * actor.net.n_members)

    @torch.no_grad()
    def act(obs: np.ndarray) -> np.ndarray:
        obs_t = torch.as_tensor(obs, dtype=torch.float32)
        noise = member_randn(generators, (obs_t.shape[1], actor.act_dim))
        return actor.sample(obs_t, noise)[0].numpy()
    return act


def load_actor_state(state: dict, obs_dim: int, act_dim: int, max_action: float, hidden) -> TanhGaussianActor:
    actor = TanhGaussianActor(obs_dim, act_dim, max_action, [0], tuple(hidden))
    actor.load_state_dict(state)
    return actor.eval()


def load_actor(policies: dict, step: int) -> TanhGaussianActor:
    """The actor saved at checkpoint `step` of a policies.pt payload (on the CPU)."""
    return load_actor_state(policies["actors"][step], policies["obs_dim"], policies["act_dim"],
                            policies["max_action"], policies["hidden"])


class BehaviourRecorder:
    """The loop's evaluation hook for the behaviour SAC: checkpoints are scored with the stochastic
    (data-generating) policy, its noise seeded seed + 100 + step (D4RL recipe), and each checkpoint's actor and
    per-episode returns are kept (in the loop's checkpoint, so a resumed run keeps them too), with the wall time
    of the work kept so far and the machine's load; each record also rewrites `progress` (a small JSON file)."""

    def __init__(self, seed: int, family: EnvFamily, progress: Path, about: dict):
        self.seed, self.family, self.progress, self.about = seed, family, progress, about
        self.actors: dict[int, dict] = {}
        self.checkpoints: list[dict] = []
        self.wall_seconds = 0.0          # up to the latest checkpoint; time after it is lost when a run is killed
        self._since = time.perf_counter()

    def policy(self, algo: SAC, step: int):
        generators = [torch.Generator(device=algo.device).manual_seed(self.seed + EVAL_SEED_OFFSET + step)]

        @torch.no_grad()
        def act(obs: torch.Tensor) -> torch.Tensor:
            noise = member_randn(generators, (obs.shape[1], algo.actor.act_dim), obs.device)
            return algo.actor.sample(obs, noise)[0]
        return act

    def record(self, step: int, algo: SAC, returns: np.ndarray, scores: np.ndarray) -> None:
        self.actors[step] = {k: v.detach().cpu().clone() for k, v in algo.actor.state_dict().items()}
        r = returns[0]
        now = time.perf_counter()
        self.wall_seconds += now - self._since
        self._since = now
        self.checkpoints.append({"step": step, "returns": r.tolist(), "mean_return": float(r.mean()),
                                 "normalized_score": float(normalized_score(r.mean(), self.family.ref_min_score,
                                                                            self.family.ref_max_score)),
                                 "wall_seconds": self.wall_seconds, "load_average_1min": os.getloadavg()[0]})
        atomic_write_json(self.progress, {**self.about, "step": step, "wall_seconds": self.wall_seconds,
                                          "best_score": max(c["normalized_score"] for c in self.checkpoints),
                                          "checkpoints": [{k: v for k, v in c.items() if k != "returns"}
                                                          for c in self.checkpoints]})

    def state_dict(self) -> dict:
        return {"actors": self.actors, "checkpoints": self.checkpoints, "wall_seconds": self.wall_seconds}

    def load_state_dict(self, state: dict) -> None:
        self.actors, self.checkpoints = state["actors"], state["checkpoints"]
        self.wall_seconds, self._since = state["wall_seconds"], time.perf_counter()


def hardware(device: str) -> dict:
    """Where the training ran (the CPU model, cores, torch threads; the GPU when the networks were on one)."""
    from shared.bench import cpu_model
    info = {"cpu": cpu_model(), "logical_cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "device": str(device)}
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def code_commit() -> str | None:
    """The git commit of the code that trains (None outside a git checkout)."""
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def online_sac(env_id: str, seeds: list[int], settings: BehaviourSettings, sac_config: SACConfig, device: str):
    """SAC from scratch on `env_id`, one member per seed: the agent, its online source (uniform actions for
    start_steps steps, then the policy's own samples) and the loop settings (an evaluation every checkpoint)."""
    probe = gym.make(env_id)
    obs_dim, act_dim = probe.observation_space.shape[0], probe.action_space.shape[0]
    max_action = float(probe.action_space.high[0])
    probe.close()
    zero = torch.zeros(obs_dim, device=device)   # raw states: SAC normalises nothing
    source = OnlineBuffer(OnlineTask(env_id, max_action, zero, zero + 1.0), seeds, settings.total_steps,
                          PolicySampling(seeds, act_dim, uniform_steps=settings.start_steps),
                          warmup_steps=settings.start_steps, device=device)
    agent = SAC(obs_dim, act_dim, max_action, seeds, sac_config, device)
    loop = LoopSettings(steps=settings.total_steps, batch_size=sac_config.batch_size,
                        eval_every=settings.checkpoint_every, eval_episodes=settings.eval_episodes,
                        log_every=settings.checkpoint_every)
    return agent, source, loop


def family_evaluator(family: EnvFamily):
    """The loop's evaluator on the family's generated env: returns and D4RL-style scores."""
    env_id = generated_env_id(family)

    def evaluate(act, n_members, episodes, eval_seeds):
        returns = evaluate_policy(act, env_id, n_members, episodes, eval_seeds)
        return returns, normalized_score(returns, family.ref_min_score, family.ref_max_score)
    return evaluate


def train_behaviour(family: EnvFamily, settings: BehaviourSettings, out: Path, name: str,
                    sac_config: SACConfig = SACConfig(), device: str = "cpu",
                    sac_source: str = "shared/rl/sac.py SACConfig defaults", restart: bool = False,
                    carry: Path | None = None) -> dict:
    """Run SAC on the family's Gymnasium v5 env through the training loop and write the files listed in the
    module docstring; `name` is the behaviour's name (data/behaviour/<name>/), `sac_source` where the
    hyperparameters come from.

    Uniform random actions for start_steps steps, then one SAC update per environment step on a batch from
    everything seen so far. At every checkpoint the loop saves its whole state to <out>/checkpoint.pt, and a later
    call with the same settings resumes from it and produces the same files an uninterrupted run would. A
    checkpoint made with other settings or code is refused (hours of training are not dropped silently) unless
    `restart`. Without a checkpoint, a `carry` folder (shared/data/carry.py: the training of an earlier session,
    committed) is restored first, unless `restart`."""
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    env_id = generated_env_id(family)
    seeds = [settings.seed]
    agent, source, loop = online_sac(env_id, seeds, settings, sac_config, device)
    machine = hardware(device)
    recorder = BehaviourRecorder(settings.seed, family, out / "progress.json", {
        "env": family.name, "behaviour": name, "total_steps": settings.total_steps, "sac_source": sac_source,
        "hardware": machine, "code_commit": code_commit()})
    run = Run(out, seeds)
    describe = {"config": asdict(sac_config)}
    if not restart:
        fingerprint = run_fingerprint(source, seeds, loop, describe["config"], asdict(settings))
        _refuse_other_checkpoint(run, fingerprint)
        if carry is not None and (carry / CARRY_FILE).exists() and not run.checkpoint_path.exists():
            step = restore_carry(carry, out, family, source, seeds, fingerprint)
            print(f"{family.name}: restored the carried training at step {step} from {carry}")
    final = train(agent, source, loop, run, family_evaluator(family), describe=describe,
                  rate_name="env_steps_per_s", eval_hook=recorder, fingerprint_extra=asdict(settings))

    policies = {"obs_dim": source.envs.obs.shape[1], "act_dim": agent.actor.act_dim,
                "max_action": agent.actor.max_action, "hidden": list(sac_config.hidden), "actors": recorder.actors}
    payload = io.BytesIO()
    torch.save(policies, payload)
    atomic_write_bytes(out / "policies.pt", payload.getvalue())
    arrays = io.BytesIO()
    np.savez_compressed(arrays, **source.replay_arrays(0))
    atomic_write_bytes(out / "replay.npz", arrays.getvalue())
    seconds, updates = final["train_seconds"], settings.total_steps - settings.start_steps
    manifest = {
        "env": family.name, "env_id": env_id, "behaviour": name, "seed": settings.seed,
        "recipe": "D4RL recipe: SAC behaviour policy, checkpoints scored with the stochastic (data-generating) "
                  f"policy over {settings.eval_episodes} episodes, eval seeds = seed + {EVAL_SEED_OFFSET}",
        "settings": asdict(settings), "sac": asdict(sac_config), "sac_source": sac_source,
        "checkpoints": recorder.checkpoints, "steps": settings.total_steps,
        "seconds": seconds, "wall_seconds": recorder.wall_seconds,
        "env_steps_per_s": settings.total_steps / seconds, "updates_per_s": updates / seconds,
        "device": str(device), "hardware": machine, "code_commit": code_commit(),
        "torch": torch.__version__, "gymnasium": gym.__version__,
    }
    atomic_write_json(out / "behaviour.json", manifest)
    run.checkpoint_path.unlink(missing_ok=True)  # complete: the resume state is no longer needed
    (out / "progress.json").unlink(missing_ok=True)
    return manifest


def _refuse_other_checkpoint(run: Run, fingerprint: str) -> None:
    if not run.checkpoint_path.exists():
        return
    payload = load_torch(run.checkpoint_path)
    if payload["state"].get("fingerprint") != fingerprint:
        raise SystemExit(f"{run.checkpoint_path} (step {payload['step']}) was made with other settings or code: "
                         "resume it with the code and config that made it (see its progress.json), or pass "
                         "--restart to discard it")
