"""Probabilistic dynamics ensemble (MBPO / MOPO / COMBO App. B.1), seed-vectorised.

Per seed: `n_models` Gaussian MLPs (default 7, 4 x 200 Swish) predict (s' - s, r) from (s, a) as
N(mu, diag(exp(logvar))), the log-variance softly bounded between learned per-member limits. Of the members,
the `n_elites` (default 5) with the lowest hold-out error are used for rollouts, one picked at random per sample.

K seeds x M models are K*M members of one EnsembleMLP: member (k, m) is initialised, bootstrapped, shuffled and
early-stopped from seed k's generators alone, and every loss is a sum over members, so K seeds fitted together
give each seed the model it would get alone.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from shared.nets import EnsembleMLP
from shared.rl import streams


@dataclass(frozen=True)
class ModelSettings:
    n_models: int = 7
    n_elites: int = 5
    hidden: tuple[int, ...] = (200, 200, 200, 200)
    lr: float = 1e-3
    batch_size: int = 256
    # L2 decay per linear layer (input ... output), as in MBPO / MOPO's model code.
    weight_decay: tuple[float, ...] = (2.5e-5, 5e-5, 7.5e-5, 7.5e-5, 1e-4)
    holdout: int = 1000                 # hold-out transitions (at most 20% of the data)
    patience: int = 5                   # epochs without a >1% improvement of any member before stopping
    improvement: float = 0.01
    max_epochs: int = 1000              # a cap; MBPO has none, early stopping ends training
    logvar_limit_weight: float = 0.01   # pulls the learned log-variance limits together

    def __post_init__(self):
        # Values from the command line or YAML may be strings ('5e-05' is a string to YAML 1.1) or lists.
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "weight_decay", tuple(float(w) for w in self.weight_decay))
        if not 1 <= self.n_elites <= self.n_models:
            raise ValueError(f"need 1 <= n_elites <= n_models, got {self.n_elites} and {self.n_models}")
        if len(self.weight_decay) != len(self.hidden) + 1:
            raise ValueError(f"weight_decay needs {len(self.hidden) + 1} values (one per layer), "
                             f"got {len(self.weight_decay)}")
        for name in ("batch_size", "holdout", "patience", "max_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"ModelSettings.{name} must be >= 1, got {getattr(self, name)}")


class GaussianEnsemble(nn.Module):
    """K seeds x M models: (obs [K, N, o], act [K, N, a]) -> mean, logvar of (delta obs, reward), each
    [K, M, N, o + 1]."""

    def __init__(self, obs_dim: int, act_dim: int, seeds: Sequence[int], settings: ModelSettings = ModelSettings()):
        super().__init__()
        self.obs_dim, self.act_dim, self.seeds, self.settings = obs_dim, act_dim, [int(s) for s in seeds], settings
        k, m, out = len(self.seeds), settings.n_models, obs_dim + 1
        member_seeds = [streams.offset("model_init") + s * settings.n_models + j for s in self.seeds for j in range(m)]
        self.net = EnsembleMLP(obs_dim + act_dim, 2 * out, settings.hidden, k * m, member_seeds, activation=nn.SiLU)
        self.max_logvar = nn.Parameter(torch.full((k * m, 1, out), 0.5))
        self.min_logvar = nn.Parameter(torch.full((k * m, 1, out), -10.0))
        # Input standardisation per seed (fitted on that seed's training split).
        self.register_buffer("in_mean", torch.zeros(k, 1, obs_dim + act_dim))
        self.register_buffer("in_std", torch.ones(k, 1, obs_dim + act_dim))
        self.register_buffer("elites", torch.arange(settings.n_elites).repeat(k, 1))  # [K, n_elites]

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def _members(self, x: Tensor) -> Tensor:
        """[K, N, d] -> [K*M, N, d]: each seed's input repeated for its M models."""
        return x.repeat_interleave(self.settings.n_models, dim=0)

    def forward(self, obs: Tensor, act: Tensor) -> tuple[Tensor, Tensor]:
        x = (torch.cat([obs, act], dim=-1) - self.in_mean) / self.in_std
        return self.member_forward(self._members(x))

    def member_forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Standardised inputs [K*M, N, d] (one batch per member) -> mean, logvar [K, M, N, o + 1]."""
        mean, raw_logvar = self.net(x).chunk(2, dim=-1)
        logvar = self.max_logvar - F.softplus(self.max_logvar - raw_logvar)
        logvar = self.min_logvar + F.softplus(logvar - self.min_logvar)
        shape = (self.n_seeds, self.settings.n_models, *mean.shape[1:])
        return mean.reshape(shape), logvar.reshape(shape)

    def nll_loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Per-member Gaussian NLL (up to constants) + decay + log-variance limit term: [K*M]."""
        mean, logvar = self.member_forward(x)
        y = y.reshape(mean.shape)
        nll = ((mean - y).pow(2) * torch.exp(-logvar) + logvar).mean(dim=(-2, -1)).flatten()
        limits = (self.max_logvar.sum(dim=(1, 2)) - self.min_logvar.sum(dim=(1, 2))) * self.settings.logvar_limit_weight
        decay = sum(wd * 0.5 * layer.weight.pow(2).sum(dim=(1, 2))
                    for wd, layer in zip(self.settings.weight_decay, self.net.linear_layers()))
        return nll + limits + decay

    @torch.no_grad()
    def sample_step(self, obs: Tensor, act: Tensor, generators: Sequence[torch.Generator]) -> tuple[Tensor, Tensor]:
        """One model step for [K, N] states: a sample of every member, then one random elite per sample.
        Returns next_obs [K, N, o] and reward [K, N]."""
        mean, logvar = self(obs, act)                                   # [K, M, N, o + 1]
        k, m, n, d = mean.shape
        noise = torch.stack([torch.randn((m, n, d), generator=g) for g in generators]).to(mean.device)
        samples = mean + noise * torch.exp(0.5 * logvar)
        pick = torch.stack([torch.randint(self.settings.n_elites, (n,), generator=g) for g in generators])
        member = torch.gather(self.elites.cpu(), 1, pick).to(mean.device)          # [K, N]
        chosen = samples.gather(1, member[:, None, :, None].expand(k, 1, n, d)).squeeze(1)
        return obs + chosen[..., :-1], chosen[..., -1]


@dataclass
class FitReport:
    holdout_mse: list[list[float]]      # [K][M] mean-squared error of the mean prediction on the hold-out set
    elite_holdout_mse: list[float]      # [K] mean over each seed's elites
    initial_holdout_mse: list[float]    # [K] mean over all members before training
    epochs: list[int]                   # [K] epochs trained before the seed stopped
    seconds: float


def _targets(obs: Tensor, act: Tensor, rew: Tensor, next_obs: Tensor) -> tuple[Tensor, Tensor]:
    return torch.cat([obs, act], dim=-1), torch.cat([next_obs - obs, rew[:, None]], dim=-1)


def fit_ensemble(model: GaussianEnsemble, obs: Tensor, act: Tensor, rew: Tensor, next_obs: Tensor,
                 progress=None) -> FitReport:
    """Fit every member with a per-seed hold-out split, bootstrap resampling and early stopping; keep each
    member's best snapshot and choose each seed's elites. Data are [N, ...] raw (unnormalised) transitions."""
    cfg, k, m = model.settings, model.n_seeds, model.settings.n_models
    inputs, targets = _targets(obs, act, rew, next_obs)
    n = inputs.shape[0]
    n_hold = min(cfg.holdout, int(0.2 * n))
    if n_hold < 1 or n - n_hold < 1:
        raise ValueError(f"need more transitions to fit a model with a hold-out set, got {n}")
    generators = streams.generators("model_fit", model.seeds)
    perms = torch.stack([torch.randperm(n, generator=g) for g in generators])        # [K, N]
    hold_idx, train_idx = perms[:, :n_hold], perms[:, n_hold:]
    n_train = train_idx.shape[1]
    with torch.no_grad():
        train_in = inputs[train_idx]                                                  # [K, n_train, d]
        model.in_mean.copy_(train_in.mean(dim=1, keepdim=True))
        model.in_std.copy_(train_in.std(dim=1, keepdim=True).clamp_min(1e-6))
    del train_in
    standardise = lambda idx: (inputs[idx] - model.in_mean) / model.in_std            # noqa: E731
    hold_x, hold_y = model._members(standardise(hold_idx)), targets[hold_idx]

    def holdout_mse() -> Tensor:
        with torch.no_grad():
            mean, _ = model.member_forward(hold_x)
            return (mean - hold_y[:, None]).pow(2).mean(dim=(-2, -1))             # [K, M]

    # Bootstrap: member (k, j) trains on a resample (with replacement) of seed k's training split.
    boot = torch.stack([torch.randint(n_train, (m, n_train), generator=g) for g in generators])  # [K, M, n_train]
    boot = torch.gather(train_idx[:, None, :].expand(k, m, n_train), 2, boot).reshape(k * m, n_train)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    initial = holdout_mse()
    best = initial.clone()
    best_state = {name: p.detach().clone() for name, p in model.named_parameters()}
    since_update = torch.zeros(k, dtype=torch.long)
    epochs = torch.zeros(k, dtype=torch.long)
    active = torch.ones(k, dtype=torch.bool)
    start = time.perf_counter()
    for epoch in range(1, cfg.max_epochs + 1):
        order = torch.stack([torch.stack([torch.randperm(n_train, generator=g) for _ in range(m)]) for g in generators])
        shuffled = torch.gather(boot, 1, order.reshape(k * m, n_train))
        for lo in range(0, n_train, cfg.batch_size):
            idx = shuffled[:, lo:lo + cfg.batch_size]                                  # [K*M, b]
            x = (inputs[idx] - model.in_mean.repeat_interleave(m, 0)) / model.in_std.repeat_interleave(m, 0)
            optimizer.zero_grad(set_to_none=True)
            model.nll_loss(x, targets[idx]).sum().backward()
            optimizer.step()
        mse = holdout_mse()
        improved = (best - mse) / best > cfg.improvement                               # [K, M]
        improved &= active[:, None]
        for name, p in model.named_parameters():
            if p.shape[0] == k * m:
                mask = improved.flatten().reshape(-1, *([1] * (p.dim() - 1)))
                best_state[name] = torch.where(mask, p.detach(), best_state[name])
        best = torch.where(improved, mse, best)
        epochs += active.long()
        since_update = torch.where(improved.any(dim=1), torch.zeros_like(since_update), since_update + 1)
        active &= since_update < cfg.patience
        if progress is not None:
            progress(epoch, best)
        if not active.any():
            break
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(best_state[name])
        final = holdout_mse()
        model.elites.copy_(final.argsort(dim=1)[:, :cfg.n_elites])
    elite_mse = torch.gather(final, 1, model.elites.cpu()).mean(dim=1)
    return FitReport(holdout_mse=final.tolist(), elite_holdout_mse=elite_mse.tolist(),
                     initial_holdout_mse=initial.mean(dim=1).tolist(), epochs=epochs.tolist(),
                     seconds=time.perf_counter() - start)


def settings_dict(settings: ModelSettings) -> dict:
    return {name: list(v) if isinstance(v, tuple) else v for name, v in asdict(settings).items()}
