"""Block-diagonal ridge regression for the tabular embedding of a linear mixture MDP (Remark 2.2).

With phi(s'|s,a) = one-hot(s,a,s'), a regression feature phi_V(s,a) is zero except for the (s,a) block, which
equals V. Every Gram matrix is therefore block-diagonal with one S x S block per (s,a); a sample touches only
its own block. L independent lanes (runs x settings x algorithms) are kept in one array for batched algebra;
each sample is a rank-one update (Sherman-Morrison for the inverse, the determinant lemma for log det).
"""
from __future__ import annotations

import numpy as np


class BlockRidge:
    """theta = (lam I + sum x x^T)^-1 sum x y, per block and lane; gram [L, n_blocks, S, S], target [L, n_blocks, S]."""

    def __init__(self, gram: np.ndarray, target: np.ndarray, lam: float):
        if lam <= 0:
            raise ValueError(f"ridge lam must be > 0, got {lam}")
        self.lam = lam
        self.gram = gram + lam * np.eye(gram.shape[-1])
        self.target = np.array(target, dtype=np.float64)
        self.inverse = np.linalg.inv(self.gram)
        self.theta = (self.inverse @ self.target[..., None])[..., 0]
        self.block_logdet = np.linalg.slogdet(self.gram)[1]
        self._lanes = np.arange(gram.shape[0])

    @classmethod
    def empty(cls, n_lanes: int, n_blocks: int, n_states: int, lam: float) -> "BlockRidge":
        return cls(np.zeros((n_lanes, n_blocks, n_states, n_states)), np.zeros((n_lanes, n_blocks, n_states)), lam)

    @property
    def dim(self) -> int:
        return self.gram.shape[1] * self.gram.shape[2]

    def logdet(self) -> np.ndarray:
        """log det of the full d x d matrix [L] (sum over blocks)."""
        return self.block_logdet.sum(-1)

    def estimate(self, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For x = phi_V(s,a) with V = value [L, S]: <theta, x> and ||x||_{G^-1}, both [L, n_blocks]."""
        n_lanes, n_blocks, n_states = self.theta.shape
        mean = (self.theta @ value[:, :, None])[..., 0]
        outer = (value[:, :, None] * value[:, None, :]).reshape(n_lanes, n_states * n_states, 1)
        quad = (self.inverse.reshape(n_lanes, n_blocks, n_states * n_states) @ outer)[..., 0]
        return mean, np.sqrt(np.maximum(quad, 0.0))

    def width_at(self, blocks: np.ndarray, value: np.ndarray) -> np.ndarray:
        """||phi_V(s,a)||_{G^-1} [L] at one block per lane."""
        inv = self.inverse[self._lanes, blocks]
        return np.sqrt(np.maximum(np.einsum("ls,lst,lt->l", value, inv, value), 0.0))

    def add(self, blocks: np.ndarray, value: np.ndarray, response: np.ndarray) -> None:
        """Add one sample per lane: x = phi_V at block blocks[l], y = response[l]."""
        lanes = self._lanes
        inv = self.inverse[lanes, blocks]
        inv_v = np.einsum("lst,lt->ls", inv, value)
        gain = 1.0 + np.einsum("ls,ls->l", value, inv_v)
        inv = inv - inv_v[:, :, None] * inv_v[:, None, :] / gain[:, None, None]
        target = self.target[lanes, blocks] + value * response[:, None]
        self.gram[lanes, blocks] += value[:, :, None] * value[:, None, :]
        self.target[lanes, blocks] = target
        self.inverse[lanes, blocks] = inv
        self.theta[lanes, blocks] = np.einsum("lst,lt->ls", inv, target)
        self.block_logdet[lanes, blocks] += np.log(gain)
