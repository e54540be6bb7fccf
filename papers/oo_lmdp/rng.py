"""Counter-based random numbers: uniform draws addressed by (stream key, counter), computed in batch.

A numpy Generator per run cannot be vectorised over runs, and one shared Generator would make run i's numbers
depend on how many runs share the batch. Hashing (key, counter) with SplitMix64 gives every run its own stream,
identical whether it is computed alone or inside a batch of thousands.
"""
from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def stream_keys(seeds) -> np.ndarray:
    """One uint64 stream key per integer seed."""
    return splitmix64(np.asarray(seeds, dtype=np.uint64))


def uniforms(keys: np.ndarray, counter: int, n: int) -> np.ndarray:
    """Uniform [0, 1) draws of shape [len(keys), n]: draw j of stream key is addressed by counter * n + j."""
    with np.errstate(over="ignore"):
        index = np.uint64(counter) * np.uint64(n) + np.arange(n, dtype=np.uint64)
        bits = splitmix64(keys[:, None] ^ splitmix64(index)[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)
