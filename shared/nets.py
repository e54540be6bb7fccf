"""Seed-vectorised MLPs: K independent members (one per seed) in one module, evaluated with batched matmuls.

Member k is initialised from its own generator, exactly as a one-member module built with seeds=[seeds[k]],
so training K seeds together gives each seed the numbers it would get alone, provided the loss is a sum over
members of per-member losses (members then never share a gradient) and optimisers act elementwise (Adam does).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


def seed_generators(seeds: Sequence[int]) -> list[torch.Generator]:
    """One CPU generator per seed, for per-seed minibatch sampling and noise."""
    return [torch.Generator().manual_seed(int(s)) for s in seeds]


def sample_indices(generators: Sequence[torch.Generator], n: int, batch_size: int, device="cpu") -> torch.Tensor:
    """Uniform minibatch indices [K, batch_size], member k drawn from generators[k] only (on the generator's device,
    so CUDA generators draw on the GPU without a host copy)."""
    idx = torch.stack([torch.randint(n, (batch_size,), generator=g, device=g.device) for g in generators])
    return idx.to(device)


def member_randn(generators: Sequence[torch.Generator], shape: Sequence[int], device="cpu") -> torch.Tensor:
    """Standard normal noise [K, *shape], member k drawn from generators[k] only (on the generator's device)."""
    return torch.stack([torch.randn(tuple(shape), generator=g, device=g.device) for g in generators]).to(device)


class EnsembleLinear(nn.Module):
    """y[k] = x[k] @ W[k] + b[k] for K members; x: [K, B, in] -> [K, B, out]."""

    def __init__(self, in_features: int, out_features: int, n_members: int):
        super().__init__()
        self.in_features, self.out_features, self.n_members = in_features, out_features, n_members
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))

    @torch.no_grad()
    def init_member(self, k: int, generator: torch.Generator) -> None:
        """nn.Linear's default initialisation (kaiming-uniform with a=sqrt(5) == U(-1/sqrt(in), 1/sqrt(in)))."""
        bound = 1.0 / math.sqrt(self.in_features)
        w = torch.empty(self.out_features, self.in_features).uniform_(-bound, bound, generator=generator)
        b = torch.empty(self.out_features).uniform_(-bound, bound, generator=generator)
        self.weight[k].copy_(w.T)
        self.bias[k, 0].copy_(b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, members={self.n_members}"


class EnsembleMLP(nn.Module):
    """An MLP per member: [K, B, in_dim] -> [K, B, out_dim]."""

    def __init__(self, in_dim: int, out_dim: int, hidden: Sequence[int] = (256, 256), n_members: int = 1,
                 seeds: Sequence[int] | None = None, activation: type[nn.Module] = nn.ReLU,
                 output_activation: type[nn.Module] | None = None):
        super().__init__()
        seeds = list(range(n_members)) if seeds is None else list(seeds)
        if len(seeds) != n_members:
            raise ValueError(f"got {len(seeds)} seeds for {n_members} members")
        dims = [in_dim, *hidden, out_dim]
        layers: list[nn.Module] = []
        for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
            layers.append(EnsembleLinear(d_in, d_out, n_members))
            if i < len(dims) - 2:
                layers.append(activation())
        if output_activation is not None:
            layers.append(output_activation())
        self.net = nn.Sequential(*layers)
        self.n_members = n_members
        for k, g in enumerate(seed_generators(seeds)):
            for layer in self.linear_layers():
                layer.init_member(k, g)

    def linear_layers(self) -> list[EnsembleLinear]:
        return [m for m in self.net if isinstance(m, EnsembleLinear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.n_members:
            raise ValueError(f"expected input [K={self.n_members}, B, in], got {tuple(x.shape)}")
        return self.net(x)


def adam(params, lr: float) -> torch.optim.Adam:
    """Adam, fused into one kernel per step when the parameters are on a GPU (the CPU path is torch's default, so
    CPU results do not change)."""
    params = list(params)
    return torch.optim.Adam(params, lr=lr, fused=True if params[0].is_cuda else None)


def minimise(optimizer: torch.optim.Optimizer, per_member_loss: torch.Tensor) -> None:
    """One optimiser step on per-member losses [K]. Their sum is differentiated, so each member's parameters get
    exactly the gradient of its own loss (a mean would scale every gradient by 1/K)."""
    optimizer.zero_grad(set_to_none=True)
    per_member_loss.sum().backward()
    optimizer.step()
