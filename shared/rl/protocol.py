"""The contract between the training loop and every algorithm and data source (offline, online, model-based).

An algorithm holds K members, one per seed, as a batch dimension of its networks; every tensor it takes or
returns carries that member dimension first. Constructing one:

    algo = Cls(obs_dim, act_dim, max_action, seeds, config, device)

`config` is the algorithm's own config dataclass. States reach the algorithm already normalised (where the method
normalises them) and rewards already transformed; `act` is given normalised observations too.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from torch import Tensor

Batch = dict[str, Tensor]   # observations, actions, rewards, next_observations, terminals: each [K, B, ...]


@runtime_checkable
class Algorithm(Protocol):
    seeds: list[int]

    def setup(self, data: Any) -> None:
        """Called once before the first update of a fresh run (not on resume: the state_dict restores what it
        built). `data` is the training Transitions. COMBO and DROMO fit or load their dynamics model here,
        OVR its ratio estimator; most algorithms do nothing."""

    def update(self, batch: Batch, step: int) -> dict[str, Tensor]:
        """One training iteration (`step` counts from 1) on a batch [K, B, ...]; returns per-member statistics,
        each a tensor [K] left on the device (the loop reads them every log_every steps only)."""

    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        """Actions [K, E, act] for observations [K, E, obs]. deterministic=True is the evaluation policy;
        False samples the behaviour (exploration) policy from the algorithm's own random stream."""

    def state_dict(self) -> dict:
        """The whole training state: networks, target networks, optimisers, schedules, counters and the states
        of every random generator the algorithm owns. load_state_dict(state_dict()) resumes bit for bit."""

    def load_state_dict(self, state: dict) -> None: ...


@runtime_checkable
class DataSource(Protocol):
    """Where the loop's minibatches come from: a fixed dataset, an online buffer fed by environment steps, or
    a mixture of real data and model rollouts (implementations: shared/rl/sources.py)."""

    data: Any            # the training Transitions handed to algo.setup (None for online RL from scratch)
    warmup_steps: int    # first steps that only run before_update (online warm-up); update t - warmup_steps follows

    def before_update(self, step: int, algo: Algorithm) -> None:
        """Runs before update `step`: environment steps (online), model rollouts (model-based), nothing (fixed)."""

    def sample(self, batch_size: int) -> Batch:
        """One minibatch per member [K, B, ...], member k's indices drawn from its own random stream."""

    def normalise(self, obs: Any) -> Tensor:
        """Raw environment observations -> what the algorithm sees (the training data's state normalisation)."""

    def stats(self) -> dict[str, Tensor]:
        """Per-member diagnostics for the log, e.g. the latest training-episode return ({} for fixed data)."""

    def fingerprint(self, digest: Any) -> None:
        """Feed a hashlib digest with everything the data depend on (the loop's stale-checkpoint guard)."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...
