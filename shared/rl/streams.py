"""Named random streams: one purpose, one stream, one per seed.

Member k of a stream is seeded with seeds[k] + OFFSETS[name], so its numbers depend on seeds[k] alone (the K-seed
equivalence) and no two purposes share numbers for seeds below STREAM_SPACING. The offsets of the streams that
committed results already used are kept (init 0, q2 10000, value 20000, smoothing 30000, offline sampling 40000,
SAC acting 50000, online sampling 60000, exploration 70000); SAC's actor init (was 30000, the smoothing offset)
and SAC's update noise (was 40000, the sampling offset) were renumbered.

"init" seeds the first network of every method (its actor, and the first critic head): the two nets have other
shapes, and the offset is kept so committed results stay the same.

Environment seeds (numpy / Gymnasium) are a separate namespace: ENV_OFFSETS. Evaluation episodes reset with
shared.evaluate.episode_seed(seed + 100, episode), a mixed hash, so they never meet the training env's seeds.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

STREAM_SPACING = 10_000   # seeds below this never make two streams meet

OFFSETS = {
    "init": 0,                  # actor / first critic head initialisation
    "init_q2": 10_000,          # second critic head
    "init_value": 20_000,       # state-value net
    "target_smoothing": 30_000, # TD3-style target-policy smoothing noise (TD3, TD3+BC, DMG)
    "offline_sampling": 40_000, # minibatch indices from a fixed dataset
    "sac_act": 50_000,          # SAC's stochastic acting noise
    "online_sampling": 60_000,  # minibatch indices from an online replay buffer
    "exploration": 70_000,      # exploration noise and warm-up actions online (IQL: its policy samples)
    "sac_actor_init": 80_000,   # SAC's actor initialisation
    "sac_update": 90_000,       # SAC's reparameterisation noise inside the update
    "model_sampling": 110_000,  # minibatch indices from a model-rollout buffer (COMBO, DROMO)
    "model_rollout": 120_000,   # start states and model noise of model rollouts
    "ratio": 130_000,           # density-ratio estimators (OVR): their minibatches, initial states, policy samples
    "model_fit": 140_000,       # dynamics-model hold-out split, bootstrap and shuffling (COMBO, DROMO)
    "model_init": 150_000,      # dynamics-model members: seed * n_models + member (distinct below 10000 / n_models)
    "conservative_actions": 160_000,  # uniform and policy actions of COMBO's log-sum-exp
    "dro_actions": 170_000,     # DROMO's actions from pi^f for the variance penalty
    "behaviour_init": 180_000,  # DROMO's behaviour-cloned pi_beta: initialisation
    "behaviour_sampling": 190_000,  # and its minibatches
    "ratio_init": 200_000,      # the ratio estimator's network initialisation
    "vae_init": 210_000,        # BCQ's VAE decoder initialisation (the encoder uses "init")
    "vae_noise": 220_000,       # BCQ's latent noise inside the update (VAE training, target and actor samples)
    "generative_act": 230_000,  # BCQ's candidate actions when acting (its fixed evaluation latents come first)
}

ENV_OFFSETS = {
    "env_reset": 0,             # the training environment of online runs (reset once with seed + 0)
    "eval_env": 100,            # evaluation envs: the DMG authors use seed + 100
}


def offset(name: str) -> int:
    if name not in OFFSETS:
        raise KeyError(f"unknown random stream {name!r}; known: {sorted(OFFSETS)}")
    return OFFSETS[name]


def stream_seeds(name: str, seeds: Sequence[int]) -> list[int]:
    """The per-member seeds of stream `name`."""
    return [int(s) + offset(name) for s in seeds]


def generators(name: str, seeds: Sequence[int], device: str | torch.device = "cpu") -> list[torch.Generator]:
    """One generator per member for stream `name`, on `device` (CUDA generators draw on the GPU)."""
    return [torch.Generator(device=device).manual_seed(s) for s in stream_seeds(name, seeds)]


def env_seeds(name: str, seeds: Sequence[int]) -> list[int]:
    if name not in ENV_OFFSETS:
        raise KeyError(f"unknown environment seed stream {name!r}; known: {sorted(ENV_OFFSETS)}")
    return [int(s) + ENV_OFFSETS[name] for s in seeds]


def get_states(gens: Sequence[torch.Generator]) -> list[torch.Tensor]:
    return [g.get_state() for g in gens]


def set_states(gens: Sequence[torch.Generator], states: Sequence[torch.Tensor]) -> None:
    if len(states) != len(gens):
        raise ValueError(f"got {len(states)} generator states for {len(gens)} members")
    for g, state in zip(gens, states):
        g.set_state(state)
