"""Train the SAC behaviour policy of one environment (the first half of the D4RL recipe).

Writes to <out>/:
  policies.pt     the actor of every checkpoint (every `checkpoint_every` env steps), for rollouts
  replay.npz      every transition SAC saw, in order (medium-replay is its prefix up to the medium checkpoint)
  metrics.jsonl   training diagnostics per checkpoint
  checkpoint.pt   the loop state for resuming, while training runs (removed when done)
  behaviour.json  manifest: env, seed, SAC settings, each checkpoint's evaluated returns; written last, so its
                  presence means the rest is complete (it is the Snakemake output)
"""
from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from shared.data.catalog import EnvFamily, generated_env_id
from shared.rl.envs import get_env_state, set_env_state
from shared.evaluate import evaluate_policy, normalized_score
from shared.nets import member_randn, sample_indices, seed_generators
from shared.rl import streams
from shared.rl.sac import SAC, SACConfig, TanhGaussianActor
from shared.runs import Run, atomic_write_bytes, atomic_write_json

EVAL_SEED_OFFSET = 100  # evaluation episodes never share seeds with training (as the DMG authors do)


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
        if self.checkpoint_every < 1 or self.eval_episodes < 1:
            raise SystemExit(f"bad SAC settings: checkpoint_every ({self.checkpoint_every}) and eval_episodes "
                             f"({self.eval_episodes}) must be >= 1")


class ReplayBuffer:
    """Transitions in arrival order; uniform per-member sampling with the member's own generator."""

    def __init__(self, capacity: int, obs_dim: int, act_dim: int):
        self.observations = np.zeros((capacity, obs_dim), np.float32)
        self.actions = np.zeros((capacity, act_dim), np.float32)
        self.rewards = np.zeros(capacity, np.float32)
        self.next_observations = np.zeros((capacity, obs_dim), np.float32)
        self.terminals = np.zeros(capacity, np.float32)
        self.timeouts = np.zeros(capacity, np.float32)
        self.size = 0

    def add(self, obs, action, reward, next_obs, terminal, timeout) -> None:
        i = self.size
        self.observations[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_observations[i], self.terminals[i], self.timeouts[i] = next_obs, terminal, timeout
        self.size += 1

    def sample(self, generators: list[torch.Generator], batch_size: int) -> dict[str, torch.Tensor]:
        idx = sample_indices(generators, self.size, batch_size).numpy()
        return {key: torch.from_numpy(getattr(self, key)[idx])
                for key in ("observations", "actions", "rewards", "next_observations", "terminals")}

    def arrays(self) -> dict[str, np.ndarray]:
        return {key: getattr(self, key)[:self.size] for key in
                ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")}

    def load(self, arrays: dict[str, np.ndarray]) -> None:
        """Refill from arrays() output (resume)."""
        self.size = len(arrays["rewards"])
        for key, value in arrays.items():
            getattr(self, key)[:self.size] = value


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


def train_behaviour(family: EnvFamily, settings: BehaviourSettings, out: Path, scale: str,
                    sac_config: SACConfig = SACConfig(), device: str = "cpu") -> dict:
    """Run SAC on the family's Gymnasium v5 env and write the files listed in the module docstring.

    The networks live on `device`; the environment and the replay buffer stay on the CPU. At every checkpoint the
    whole loop state is saved to <out>/checkpoint.pt, and a later call with the same settings resumes from it and
    produces the same files an uninterrupted run would."""
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    env_id = generated_env_id(family)
    env = gym.make(env_id)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    max_action = float(env.action_space.high[0])
    seed = settings.seed
    agent = SAC(obs_dim, act_dim, max_action, [seed], sac_config, device)
    buffer = ReplayBuffer(settings.total_steps, obs_dim, act_dim)
    sample_generators = streams.generators("online_sampling", [seed])
    random_actions = np.random.default_rng(seed)
    run = Run(out, [seed])
    identity = {"settings": asdict(settings), "sac": asdict(sac_config)}

    obs, _ = env.reset(seed=seed)
    actors, checkpoints, episode_return, updates, done_steps, seconds_before = {}, [], 0.0, 0, 0, 0.0
    saved = run.load_checkpoint()
    if saved is not None and saved[0]["identity"] == identity:
        state, done_steps = saved
        agent.load_state_dict(state["agent"])
        buffer.load(state["buffer"])
        set_env_state(env, state["env"])
        obs, episode_return, updates = state["obs"], state["episode_return"], state["updates"]
        actors, checkpoints, seconds_before = state["actors"], state["checkpoints"], state["seconds"]
        random_actions.bit_generator.state = state["random_actions"]
        for generator, generator_state in zip(sample_generators, state["sample_generators"]):
            generator.set_state(generator_state)
    else:  # a fresh run: drop what an earlier run with other settings left
        (out / "metrics.jsonl").unlink(missing_ok=True)
        run.checkpoint_path.unlink(missing_ok=True)

    start = time.perf_counter()
    progress = tqdm(range(done_steps + 1, settings.total_steps + 1), desc=f"SAC {env_id}", unit="step",
                    mininterval=5, initial=done_steps, total=settings.total_steps)
    for step in progress:
        if step <= settings.start_steps:
            action = random_actions.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        else:
            obs_t = torch.as_tensor(obs, dtype=torch.float32, device=agent.device)
            action = agent.act(obs_t[None, None], deterministic=False)[0, 0].cpu().numpy()
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated, truncated)
        episode_return += reward
        obs = next_obs
        if terminated or truncated:
            episode_return = 0.0
            obs, _ = env.reset()
        if step > settings.start_steps:
            batch = buffer.sample(sample_generators, sac_config.batch_size)
            diagnostics = agent.update({k: v.to(agent.device) for k, v in batch.items()}, updates + 1)
            updates += 1
        if step % settings.checkpoint_every == 0:
            actors[step] = {k: v.detach().cpu().clone() for k, v in agent.actor.state_dict().items()}
            returns = evaluate_policy(stochastic_policy(load_actor_state(actors[step], obs_dim, act_dim, max_action,
                                                                         sac_config.hidden),
                                                        seed + EVAL_SEED_OFFSET + step), env_id, 1,
                                      settings.eval_episodes, seed + EVAL_SEED_OFFSET)[0]
            score = float(normalized_score(returns.mean(), family.ref_min_score, family.ref_max_score))
            checkpoints.append({"step": step, "returns": returns.tolist(), "mean_return": float(returns.mean()),
                                "normalized_score": score})
            elapsed = seconds_before + time.perf_counter() - start
            scalars = {"eval_return": float(returns.mean()), "eval_normalized": score,
                       "env_steps_per_s": step / elapsed, "updates_per_s": updates / elapsed}
            if step > settings.start_steps:
                scalars.update(diagnostics)
            run.log(step, **scalars)
            run.save_checkpoint({
                "identity": identity, "agent": agent.state_dict(), "buffer": buffer.arrays(),
                "env": get_env_state(env), "obs": obs.copy(), "episode_return": episode_return, "updates": updates,
                "actors": actors, "checkpoints": checkpoints, "seconds": elapsed,
                "random_actions": random_actions.bit_generator.state,
                "sample_generators": [g.get_state() for g in sample_generators]}, step)
            progress.set_postfix(score=f"{score:.1f}", steps_s=f"{step / elapsed:.0f}",
                                 updates_s=f"{updates / elapsed:.0f}")
    elapsed = seconds_before + time.perf_counter() - start
    env.close()

    policies = {"obs_dim": obs_dim, "act_dim": act_dim, "max_action": max_action, "hidden": list(sac_config.hidden),
                "actors": actors}
    payload = io.BytesIO()
    torch.save(policies, payload)
    atomic_write_bytes(out / "policies.pt", payload.getvalue())
    arrays = io.BytesIO()
    np.savez_compressed(arrays, **buffer.arrays())
    atomic_write_bytes(out / "replay.npz", arrays.getvalue())
    manifest = {
        "env": family.name, "env_id": env_id, "scale": scale, "seed": seed,
        "recipe": "D4RL recipe: SAC behaviour policy, checkpoints scored with the stochastic (data-generating) "
                  f"policy over {settings.eval_episodes} episodes, eval seeds = seed + {EVAL_SEED_OFFSET}",
        "settings": asdict(settings), "sac": asdict(sac_config), "checkpoints": checkpoints,
        "seconds": elapsed, "env_steps_per_s": settings.total_steps / elapsed, "updates_per_s": updates / elapsed,
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
