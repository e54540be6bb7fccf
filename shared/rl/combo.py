"""COMBO (Yu, Kumar et al., NeurIPS 2021; App. B.1, Eq. 2 / 29): SAC with twin Q on batches that mix real data
(fraction f) and branched model rollouts, with a conservative critic term

    beta * ( E_{s~rho(s)}[ log sum_a exp Q(s, a) ] - E_{(s,a)~D}[ Q(s, a) ] )

The log-sum-exp is estimated per state from `lse_actions` uniform and `lse_actions` policy actions with
importance weights (CQL(H)): logsumexp over the 2N values Q(s, a_i) - log p(a_i), minus log 2N. The push-down
states rho(s) are the batch's model states (d^pi_M-hat, "model"), all its states (d_f, "mix") or only its dataset
states ("data": CQL+MBPO of App. C, pushing down at dataset states only). The push-up term uses dataset pairs only.

One iteration for all K seeds (every loss a per-seed mean, summed over seeds):
  0. every `rollout_every` steps (and at step 1): `rollout_batch` dataset states, h model steps with mu
     (uniform or the current policy), into each seed's model buffer (`retain_rollouts` rollouts kept)
  1. batch = the first round(f B) real transitions of the loop's batch + B - round(f B) model transitions
  2. critic <- soft Bellman error on the batch + beta * (gap of Q1 + gap of Q2) + extra_critic_penalty (DROMO)
  3. actor and temperature <- SAC on the batch's states; soft target update

`setup(data)` loads the cached dynamics model of every seed (`model_dir` with "{seed}") or fits one. The
algorithm sees raw (unnormalised) states: the model, the termination rules and the data box work on them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from shared.model.ensemble import GaussianEnsemble, ModelSettings, fit_ensemble
from shared.model.rollouts import ModelBuffer, branched_rollout, state_box
from shared.model.store import load_ensemble
from shared.model.termination import termination_for
from shared.nets import minimise
from shared.rl import streams
from shared.rl.losses import soft_update
from shared.rl.sac import SAC, SACConfig

RHO_STATES = ("model", "mix", "data")
ROLLOUT_POLICIES = ("uniform", "policy")


@dataclass
class COMBOConfig:
    beta: float = 5.0                   # conservative weight (Table 4: 0.5 or 5.0 per dataset)
    real_fraction: float = 0.5          # f (Table 7: 0.5 or 0.8)
    rho_states: str = "model"           # rho(s) (Table 6): model = d^pi_M-hat | mix = d_f | data = CQL+MBPO
    rollout_policy: str = "policy"      # mu(a|s) (Table 5): uniform | policy
    rollout_length: int = 5             # h: 5 hopper / halfcheetah, 1 walker2d
    rollout_batch: int = 50_000         # start states per rollout (MOPO)
    rollout_every: int = 1_000          # gradient steps between rollouts (MOPO)
    retain_rollouts: int = 5            # model buffer = retain_rollouts * rollout_batch * h transitions
    box_margin: float = 1.0             # rollouts are cut outside the data's state box widened by this x range
    lse_actions: int = 10               # N uniform + N policy actions per state for the log-sum-exp
    env: str = "hopper"                 # termination rule of the model rollouts
    model_dir: str = ""                 # cached model per seed ("{seed}" replaced); empty: fit in setup
    model_max_epochs: int = 1000        # only when fitting in setup
    hidden: tuple[int, ...] = (256, 256, 256)
    actor_lr: float = 1e-4
    critic_lr: float = 3e-4
    alpha_lr: float = 1e-4
    gamma: float = 0.99
    tau: float = 0.005
    init_alpha: float = 1.0
    target_entropy: float | None = None  # None: -act_dim

    def __post_init__(self):
        checks = {"beta": self.beta >= 0, "real_fraction": 0.0 <= self.real_fraction <= 1.0,
                  "rho_states": self.rho_states in RHO_STATES, "rollout_policy": self.rollout_policy in ROLLOUT_POLICIES,
                  "rollout_length": self.rollout_length >= 1, "rollout_batch": self.rollout_batch >= 1,
                  "rollout_every": self.rollout_every >= 1, "retain_rollouts": self.retain_rollouts >= 1,
                  "lse_actions": self.lse_actions >= 1, "box_margin": self.box_margin >= 0}
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError("invalid config value(s): " + ", ".join(f"{b}={getattr(self, b)!r}" for b in bad))
        self.hidden = tuple(int(h) for h in self.hidden)

    def sac_config(self) -> SACConfig:
        return SACConfig(hidden=self.hidden, actor_lr=self.actor_lr, critic_lr=self.critic_lr, alpha_lr=self.alpha_lr,
                         gamma=self.gamma, tau=self.tau, init_alpha=self.init_alpha,
                         target_entropy=self.target_entropy)


def conservative_gap(q_samples: Tensor, log_density: Tensor, q_data: Tensor) -> Tensor:
    """E_s[ log (1/n) sum_i exp(Q(s, a_i) - log p(a_i)) ] - E_D[Q]: q_samples, log_density [K, S, n] (n sampled
    actions per push-down state), q_data [K, D] -> [K]. Gradient reaches every sampled Q (softmax weights) and
    every dataset Q (-1/D)."""
    n = q_samples.shape[-1]
    lse = torch.logsumexp(q_samples - log_density, dim=-1) - math.log(n)
    return lse.mean(dim=1) - q_data.mean(dim=1)


class COMBO:
    """K COMBO agents (one per seed) with their dynamics models and model buffers."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float, seeds, config: COMBOConfig = COMBOConfig(),
                 device="cpu"):
        self.obs_dim, self.act_dim, self.max_action = obs_dim, act_dim, float(max_action)
        self.seeds, self.config, self.device = [int(s) for s in seeds], config, torch.device(device)
        self.sac = SAC(obs_dim, act_dim, max_action, self.seeds, config.sac_config(), device)
        # CPU generators (their draws are moved to the device): the same numbers on CPU and CUDA.
        self.rollout_generators = streams.generators("model_rollout", self.seeds)
        self.conservative_generators = streams.generators("conservative_actions", self.seeds)
        self.buffer_generators = streams.generators("model_sampling", self.seeds)
        capacity = config.retain_rollouts * config.rollout_batch * config.rollout_length
        self.buffer = ModelBuffer(len(self.seeds), capacity, obs_dim, act_dim, device)
        self.termination = termination_for(config.env)
        self.model: GaussianEnsemble | None = None
        self.start_obs: Tensor | None = None
        self.box: tuple[Tensor, Tensor] | None = None
        self.model_report: dict = {}

    # ---- setup: the dynamics model and the rollout start states ---------------------------------------------
    def setup(self, data) -> None:
        """Load every seed's cached model (or fit it) and keep the dataset states rollouts start from."""
        cfg = self.config
        if cfg.model_dir:
            self.model = load_ensemble([cfg.model_dir.replace("{seed}", str(s)) for s in self.seeds], self.device)
        else:
            self.model = GaussianEnsemble(self.obs_dim, self.act_dim, self.seeds,
                                          ModelSettings(max_epochs=cfg.model_max_epochs)).to(self.device)
            report = fit_ensemble(self.model, data.observations, data.actions, data.rewards, data.next_observations)
            self.model.requires_grad_(False)
            self.model_report = asdict(report)
        if self.model.obs_dim != self.obs_dim or self.model.act_dim != self.act_dim:
            raise SystemExit(f"dynamics model is for obs/act dims {self.model.obs_dim}/{self.model.act_dim}, "
                             f"the data have {self.obs_dim}/{self.act_dim}")
        self.start_obs = data.observations.to(self.device)
        self.box = state_box(self.start_obs, cfg.box_margin)

    # ---- acting -------------------------------------------------------------------------------------------
    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        return self.sac.act(obs, deterministic=deterministic)

    def _uniform_actions(self, generators, shape) -> Tensor:
        u = torch.stack([torch.rand(tuple(shape), generator=g) for g in generators]).to(self.device)
        return (2.0 * u - 1.0) * self.max_action

    def _rollout_policy(self, obs: Tensor) -> Tensor:
        if self.config.rollout_policy == "uniform":
            return self._uniform_actions(self.rollout_generators, (obs.shape[1], self.act_dim))
        noise = torch.stack([torch.randn((obs.shape[1], self.act_dim), generator=g)
                             for g in self.rollout_generators]).to(self.device)
        return self.sac.actor.sample(obs, noise)[0]

    def rollout(self) -> dict[str, Tensor]:
        if self.model is None:
            raise RuntimeError("COMBO.setup(data) must run before the first update (it loads the dynamics model)")
        n = self.start_obs.shape[0]
        idx = torch.stack([torch.randint(n, (self.config.rollout_batch,), generator=g)
                           for g in self.rollout_generators]).to(self.device)
        with torch.no_grad():
            return branched_rollout(self.model, self.start_obs[idx], self._rollout_policy, self.termination,
                                    self.config.rollout_length, self.box, self.rollout_generators, self.buffer)

    # ---- the critic's conservative term ---------------------------------------------------------------------
    def conservative_gaps(self, states: Tensor, data_obs: Tensor, data_act: Tensor) -> tuple[Tensor, Tensor]:
        """(gap of Q1, gap of Q2), each [K], for push-down states [K, S, obs] and dataset pairs [K, D, ...]."""
        k, s, _ = states.shape
        n = self.config.lse_actions
        repeated = states.repeat_interleave(n, dim=1)                                   # [K, S*N, obs]
        uniform = self._uniform_actions(self.conservative_generators, (s * n, self.act_dim))
        noise = torch.stack([torch.randn((s * n, self.act_dim), generator=g)
                             for g in self.conservative_generators]).to(self.device)
        with torch.no_grad():
            policy_actions, policy_log_prob = self.sac.actor.sample(repeated, noise)
        uniform_log_density = torch.full_like(policy_log_prob, -self.act_dim * math.log(2.0 * self.max_action))
        log_density = torch.cat([uniform_log_density.reshape(k, s, n), policy_log_prob.reshape(k, s, n)], dim=-1)
        q_uniform, q_policy = self.sac.critic(repeated, uniform), self.sac.critic(repeated, policy_actions)
        q_data = self.sac.critic(data_obs, data_act)
        return tuple(conservative_gap(torch.cat([qu.reshape(k, s, n), qp.reshape(k, s, n)], dim=-1), log_density, qd)
                     for qu, qp, qd in zip(q_uniform, q_policy, q_data))

    def extra_critic_penalty(self, batch: dict[str, Tensor], n_real: int) -> Tensor:
        """Hook for a further critic term [K] (DROMO's variance penalty); COMBO adds nothing."""
        return torch.zeros(len(self.seeds), device=self.device)

    # ---- one iteration ----------------------------------------------------------------------------------------
    def mixed_batch(self, batch: dict[str, Tensor]) -> tuple[dict[str, Tensor], int]:
        """The first round(f B) real transitions and B - round(f B) model transitions, concatenated."""
        size = batch["rewards"].shape[1]
        n_real = round(self.config.real_fraction * size)
        real = {name: batch[name][:, :n_real] for name in ("observations", "actions", "rewards",
                                                           "next_observations", "terminals")}
        if n_real == size:
            return real, n_real
        fake = self.buffer.sample(self.buffer_generators, size - n_real)
        return {name: torch.cat([real[name], fake[name]], dim=1) for name in real}, n_real

    def push_down_states(self, mixed: dict[str, Tensor], n_real: int) -> Tensor:
        obs = mixed["observations"]
        return {"model": obs[:, n_real:], "mix": obs, "data": obs[:, :n_real]}[self.config.rho_states]

    def update(self, batch: dict[str, Tensor], step: int) -> dict[str, Tensor]:
        cfg = self.config
        stats: dict[str, Tensor] = {}
        if (step - 1) % cfg.rollout_every == 0:
            stats.update(self.rollout())
        mixed, n_real = self.mixed_batch(batch)
        if n_real == 0 and cfg.beta > 0:
            raise ValueError("real_fraction rounds to 0 real transitions: the push-up term needs dataset pairs")
        bellman = self.sac.critic_loss(mixed["observations"], mixed["actions"], mixed["rewards"],
                                       mixed["next_observations"], mixed["terminals"])
        gap1, gap2 = self.conservative_gaps(self.push_down_states(mixed, n_real),
                                            mixed["observations"][:, :n_real], mixed["actions"][:, :n_real])
        penalty = self.extra_critic_penalty(mixed, n_real)
        minimise(self.sac.critic_opt, bellman + cfg.beta * (gap1 + gap2) + penalty)

        self.sac.critic.requires_grad_(False)
        actor_loss, alpha_loss, entropy = self.sac.actor_and_alpha_loss(mixed["observations"])
        self.sac.critic.requires_grad_(True)
        minimise(self.sac.actor_opt, actor_loss)
        minimise(self.sac.alpha_opt, alpha_loss)
        soft_update(self.sac.critic_target, self.sac.critic, cfg.tau)

        with torch.no_grad():
            q_mean = self.sac.critic.min_q(mixed["observations"][:, :n_real], mixed["actions"][:, :n_real]).mean(1)
        stats.update({"critic_loss": bellman.detach(), "regulariser": ((gap1 + gap2) / 2).detach(),
                      "penalty": penalty.detach(), "actor_loss": actor_loss.detach(),
                      "alpha": self.sac.log_alpha.detach().exp(), "entropy": entropy, "q_mean": q_mean})
        return stats

    # ---- state ------------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The whole training state, including the dynamics model and the rollout start states that setup(data)
        made, so a fresh instance resumes from it without setup (the engine's loop calls setup on fresh runs only)."""
        gens = {name: streams.get_states(getattr(self, name))
                for name in ("rollout_generators", "conservative_generators", "buffer_generators")}
        return {"sac": self.sac.state_dict(), "buffer": self.buffer.state_dict(), "generators": gens,
                "model": {"obs_dim": self.obs_dim, "act_dim": self.act_dim, "seeds": self.model.seeds,
                          "settings": asdict(self.model.settings), "state": self.model.state_dict()},
                "start_obs": self.start_obs, "box": self.box, "model_report": self.model_report}

    def load_state_dict(self, state: dict) -> None:
        self.sac.load_state_dict(state["sac"])
        self.buffer.load_state_dict(state["buffer"])
        for name, states in state["generators"].items():
            streams.set_states(getattr(self, name), states)
        saved = state["model"]
        self.model = GaussianEnsemble(saved["obs_dim"], saved["act_dim"], saved["seeds"],
                                      ModelSettings(**saved["settings"])).to(self.device)
        self.model.load_state_dict(saved["state"])
        self.model.requires_grad_(False)
        self.start_obs = state["start_obs"].to(self.device)
        self.box = tuple(b.to(self.device) for b in state["box"])
        self.model_report = state["model_report"]
