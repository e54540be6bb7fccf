"""Train the SAC behaviour policy of one environment (the first half of the D4RL recipe).

Writes to <out>/:
  policies.pt     the actor of every checkpoint (every `checkpoint_every` env steps), for rollouts
  replay.npz      every transition SAC saw, in order (medium-replay is its prefix up to the medium checkpoint)
  metrics.jsonl   training diagnostics per checkpoint (the loop's window means)
  eval.csv, final.json  the loop's evaluation rows and summary
  checkpoint.pt   the loop state for resuming, while training runs (removed when done)
  behaviour.json  manifest: env, seed, SAC settings, each checkpoint's evaluated returns; written last, so its
                  presence means the rest is complete (it is the Snakemake output)
"""
from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from shared.data.catalog import EnvFamily, generated_env_id
from shared.evaluate import evaluate_policy, normalized_score
from shared.nets import member_randn, seed_generators
from shared.rl import streams
from shared.rl.loop import LoopSettings, train
from shared.rl.sac import SAC, SACConfig, TanhGaussianActor
from shared.rl.sources import OnlineBuffer, OnlineTask, PolicySampling
from shared.runs import Run, atomic_write_bytes, atomic_write_json

EVAL_SEED_OFFSET = streams.ENV_OFFSETS["eval_env"]  # evaluation never shares seeds with training (DMG authors)


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
    per-episode returns are kept (in the loop's checkpoint, so a resumed run keeps them too)."""

    def __init__(self, seed: int, family: EnvFamily):
        self.seed, self.family = seed, family
        self.actors: dict[int, dict] = {}
        self.checkpoints: list[dict] = []

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
        self.checkpoints.append({"step": step, "returns": r.tolist(), "mean_return": float(r.mean()),
                                 "normalized_score": float(normalized_score(r.mean(), self.family.ref_min_score,
                                                                            self.family.ref_max_score))})

    def state_dict(self) -> dict:
        return {"actors": self.actors, "checkpoints": self.checkpoints}

    def load_state_dict(self, state: dict) -> None:
        self.actors, self.checkpoints = state["actors"], state["checkpoints"]


def train_behaviour(family: EnvFamily, settings: BehaviourSettings, out: Path, scale: str,
                    sac_config: SACConfig = SACConfig(), device: str = "cpu") -> dict:
    """Run SAC on the family's Gymnasium v5 env through the training loop and write the files listed in the
    module docstring.

    Uniform random actions for start_steps steps, then one SAC update per environment step on a batch from
    everything seen so far. At every checkpoint the loop saves its whole state to <out>/checkpoint.pt, and a later
    call with the same settings resumes from it and produces the same files an uninterrupted run would."""
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    env_id = generated_env_id(family)
    seeds = [settings.seed]
    probe = gym.make(env_id)
    obs_dim, act_dim = probe.observation_space.shape[0], probe.action_space.shape[0]
    max_action = float(probe.action_space.high[0])
    probe.close()
    zero = torch.zeros(obs_dim, device=device)   # raw states: SAC normalises nothing
    source = OnlineBuffer(OnlineTask(env_id, max_action, zero, zero + 1.0), seeds, settings.total_steps,
                          PolicySampling(seeds, act_dim, uniform_steps=settings.start_steps),
                          warmup_steps=settings.start_steps, device=device)
    agent = SAC(obs_dim, act_dim, max_action, seeds, sac_config, device)
    recorder = BehaviourRecorder(settings.seed, family)

    def evaluate(act, n_members, episodes, eval_seeds):
        returns = evaluate_policy(act, env_id, n_members, episodes, eval_seeds)
        return returns, normalized_score(returns, family.ref_min_score, family.ref_max_score)

    loop = LoopSettings(steps=settings.total_steps, batch_size=sac_config.batch_size,
                        eval_every=settings.checkpoint_every, eval_episodes=settings.eval_episodes,
                        log_every=settings.checkpoint_every)
    run = Run(out, seeds)
    final = train(agent, source, loop, run, evaluate, describe={"config": asdict(sac_config)},
                  rate_name="env_steps_per_s", eval_hook=recorder, fingerprint_extra=asdict(settings))

    policies = {"obs_dim": obs_dim, "act_dim": act_dim, "max_action": max_action, "hidden": list(sac_config.hidden),
                "actors": recorder.actors}
    payload = io.BytesIO()
    torch.save(policies, payload)
    atomic_write_bytes(out / "policies.pt", payload.getvalue())
    arrays = io.BytesIO()
    np.savez_compressed(arrays, **source.replay_arrays(0))
    atomic_write_bytes(out / "replay.npz", arrays.getvalue())
    seconds, updates = final["train_seconds"], settings.total_steps - settings.start_steps
    manifest = {
        "env": family.name, "env_id": env_id, "scale": scale, "seed": settings.seed,
        "recipe": "D4RL recipe: SAC behaviour policy, checkpoints scored with the stochastic (data-generating) "
                  f"policy over {settings.eval_episodes} episodes, eval seeds = seed + {EVAL_SEED_OFFSET}",
        "settings": asdict(settings), "sac": asdict(sac_config), "checkpoints": recorder.checkpoints,
        "seconds": seconds, "env_steps_per_s": settings.total_steps / seconds, "updates_per_s": updates / seconds,
        "device": str(device), "torch": torch.__version__, "gymnasium": gym.__version__,
    }
    atomic_write_json(out / "behaviour.json", manifest)
    run.checkpoint_path.unlink(missing_ok=True)  # complete: the resume state is no longer needed
    return manifest


BEHAVIOUR_FILES = ("policies.pt", "replay.npz", "metrics.jsonl", "behaviour.json")  # manifest last


def install_pinned(pinned: Path, out: Path, settings: BehaviourSettings) -> bool:
    """Copy committed behaviour artifacts into `out` when they were made with exactly `settings`.

    Returns False (nothing copied) when there are none or their settings differ, so the caller trains."""
    manifest_path = pinned / "behaviour.json"
    if not manifest_path.exists():
        return False
    import json
    if json.loads(manifest_path.read_text())["settings"] != asdict(settings):
        return False
    copy_behaviour(pinned, out)
    return True


def copy_behaviour(source: Path, target: Path) -> None:
    """Copy a behaviour folder's files, the manifest last (its presence marks a complete copy)."""
    if not (source / "behaviour.json").exists():
        raise SystemExit(f"no behaviour artifacts at {source}")
    target.mkdir(parents=True, exist_ok=True)
    for name in BEHAVIOUR_FILES:
        atomic_write_bytes(target / name, (source / name).read_bytes())
