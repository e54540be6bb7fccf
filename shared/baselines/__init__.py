"""Offline-RL baselines on the seed-vectorised TD3-family modules, each with its own paper's defaults.

Every class follows the algorithm protocol of the training loop: __init__(obs_dim, act_dim, max_action, seeds,
config, device), update(batch, step) -> per-seed scalars [K], act(obs) (deterministic), state_dict /
load_state_dict. Batches arrive with states already normalised (where the method normalises them)."""
from shared.baselines.bc import BC, BCConfig
from shared.baselines.iql import IQL, IQLConfig
from shared.baselines.td3 import TD3, TD3Config
from shared.baselines.td3bc import TD3BC, TD3BCConfig

__all__ = ["BC", "BCConfig", "IQL", "IQLConfig", "TD3", "TD3Config", "TD3BC", "TD3BCConfig"]
