"""OVR (Offline Variance Regularizer, ICLR 2021 submission) on BCQ: BCQ's critic trained on an augmented reward.

Per update (Algorithm 1): one DualDICE step re-estimates omega = d_pi / d_D for the current BCQ policy
(papers/ovr/dice.py); omega is clipped to [0, omega_max] and self-normalised to mean 1 over the minibatch (ours:
the paper states no normalisation); then the dual variable and the augmented reward, and one BCQ update on it.

  printed   (eq 7 with the closed form nu = omega r):  r~ = r - lam nu r - lam r^2 = r - lam (1 + omega) r^2
  corrected (the Fenchel step done on Var_D[omega r] = E[omega^2 r^2] - (E[omega r])^2 with a scalar dual, whose
             closed form is nu = J = E_D[omega r], the minibatch mean):  r~ = r + 2 lam J r - lam omega r^2
  none      r~ = r; with importance_weights the TD loss weighs each sample by omega (Fig. 2's BCQ + I.W.)

With lam = 0 and no importance weights every BCQ number equals plain BCQ's: the ratio estimator uses its own
random streams and never touches BCQ's networks.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from papers.ovr.dice import DualDICE, episode_starts
from shared.baselines.bcq import BCQ, BCQConfig
from shared.nets import sample_indices, seed_generators

REWARD_FORMS = ("printed", "corrected", "none")
NORMALISE_EPS = 1e-6


@dataclass
class OVRConfig(BCQConfig):
    ovr_lambda: float = 0.01            # not stated in the paper; chosen before any run (README)
    reward_form: str = "printed"
    importance_weights: bool = False
    omega_max: float = 10.0
    dice_hidden: tuple[int, ...] = (256, 256)
    dice_lr: float = 3e-4
    dice_setup_steps: int = 1000        # DualDICE steps in setup(data), before the first BCQ update
    dice_batch_size: int = 100

    def __post_init__(self):
        if self.reward_form not in REWARD_FORMS:
            raise ValueError(f"reward_form must be one of {REWARD_FORMS}, got {self.reward_form!r}")
        if self.ovr_lambda < 0 or self.omega_max <= 0 or self.dice_setup_steps < 0:
            raise ValueError("ovr_lambda and dice_setup_steps must be >= 0 and omega_max > 0")


def printed_reward(rewards: torch.Tensor, omega: torch.Tensor, lam: float) -> torch.Tensor:
    """Eq 7 as printed, nu = omega r: r - lam nu r - lam r^2; [K, B]."""
    nu = omega * rewards
    return rewards - lam * nu * rewards - lam * rewards.pow(2)


def corrected_reward(rewards: torch.Tensor, omega: torch.Tensor, lam: float) -> torch.Tensor:
    """r + 2 lam J r - lam omega r^2 with J = the minibatch mean of omega r (per member); [K, B]."""
    j = (omega * rewards).mean(dim=1, keepdim=True)
    return rewards + 2 * lam * j * rewards - lam * omega * rewards.pow(2)


def normalise_ratio(raw: torch.Tensor, omega_max: float) -> torch.Tensor:
    """Clip to [0, omega_max], then divide by the per-member minibatch mean."""
    omega = raw.clamp(0.0, omega_max)
    return omega / omega.mean(dim=1, keepdim=True).clamp_min(NORMALISE_EPS)


class BCQOVR(BCQ):
    config: OVRConfig

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds: Sequence[int],
                 config: OVRConfig | None = None, device: str = "cpu"):
        super().__init__(obs_dim, act_dim, max_action, seeds, config or OVRConfig(), device)
        cfg = self.config
        self.dice = DualDICE(obs_dim, act_dim, seeds, cfg.discount, cfg.dice_hidden, cfg.dice_lr, device)

    def setup(self, data) -> None:
        """Initial states from the data's episode starts; dice_setup_steps DualDICE steps for the initial policy."""
        starts = episode_starts(data.observations, data.next_observations, data.terminals)
        self.dice.set_initial_states(data.observations[starts])
        for _ in range(self.config.dice_setup_steps):
            idx = sample_indices(self.dice.generators, len(data), self.config.dice_batch_size, self.device)
            self.ratio_step(data.sample(idx))

    @torch.no_grad()
    def policy_samples(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(a' ~ pi(s'), s0 ~ beta, a0 ~ pi(s0)), pi = one perturbed VAE sample, from DualDICE's own streams."""
        gens = self.dice.generators
        next_actions = self.sample_actions(batch["next_observations"], gens)
        initial_obs = self.dice.sample_initial(batch["observations"].shape[1])
        return next_actions, initial_obs, self.sample_actions(initial_obs, gens)

    def ratio_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """One DualDICE step; (its loss, the raw ratio of the batch after the step)."""
        next_actions, initial_obs, initial_actions = self.policy_samples(batch)
        loss = self.dice.step(batch, next_actions, initial_obs, initial_actions)
        return loss, self.dice.ratio(batch, next_actions)

    def update(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        dice_loss, raw = self.ratio_step(batch)
        omega = normalise_ratio(raw, self.config.omega_max)
        stats = super().update({**batch, "ratio": omega}, step)
        stats.update(dice_loss=dice_loss, omega_raw_mean=raw.mean(dim=1), omega_raw_max=raw.amax(dim=1),
                     omega_clipped_frac=((raw < 0) | (raw > self.config.omega_max)).float().mean(dim=1))
        return stats

    def critic_rewards(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        cfg, r = self.config, batch["rewards"]
        if cfg.reward_form == "printed":
            return printed_reward(r, batch["ratio"], cfg.ovr_lambda)
        if cfg.reward_form == "corrected":
            return corrected_reward(r, batch["ratio"], cfg.ovr_lambda)
        return r

    def critic_weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
        return batch["ratio"] if self.config.importance_weights else None

    @torch.no_grad()
    def ratio_diagnostics(self, data, rows: int = 20_000, bins: int = 20) -> dict:
        """Raw ratio over (up to) `rows` dataset transitions per member: mean (~1 if consistent), max, quantiles,
        histogram on [0, omega_max] with the counts below and above. Its own fixed random stream."""
        gens = seed_generators([0] * len(self.seeds))
        n = min(rows, len(data))
        idx = torch.stack([torch.randperm(len(data), generator=g)[:n] for g in gens]).to(self.device)
        batch = data.sample(idx)
        raw = self.dice.ratio(batch, self.sample_actions(batch["next_observations"], gens)).cpu()
        edges = torch.linspace(0.0, self.config.omega_max, bins + 1)
        out = {"rows": n, "edges": edges.tolist(), "members": []}
        for seed, values in zip(self.seeds, raw):
            out["members"].append({
                "seed": seed, "mean": float(values.mean()), "max": float(values.max()), "min": float(values.min()),
                "quantiles": {str(q): float(values.quantile(q)) for q in (0.01, 0.25, 0.5, 0.75, 0.99)},
                "below": int((values < 0).sum()), "above": int((values > self.config.omega_max).sum()),
                "histogram": torch.histc(values, bins, 0.0, self.config.omega_max).long().tolist()})
        return out

    def state_dict(self) -> dict:
        return {**super().state_dict(), "dice": self.dice.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.dice.load_state_dict(state["dice"])
