"""The data layer: offline datasets by D4RL-style name from three sources (generated | minari | d4rl).

    from shared.data import load_dataset
    ds = load_dataset("hopper-medium-replay")          # generated (offline) by default
    ds.observations, ds.actions, ds.rewards, ds.next_observations, ds.terminals, ds.timeouts
    ds.normalized_score(returns)

CLI: python -m shared.data --help
"""
from shared.data.loading import OfflineDataset, dataset_id, dataset_target, load_dataset

__all__ = ["OfflineDataset", "dataset_id", "dataset_target", "load_dataset"]
