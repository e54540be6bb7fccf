"""Small COMBO / DROMO instances on synthetic data, with a tiny fitted dynamics model injected."""
from dataclasses import dataclass

import torch

from shared.model.ensemble import GaussianEnsemble, ModelSettings, fit_ensemble
from shared.model.rollouts import state_box

TINY_MODEL = ModelSettings(n_models=3, n_elites=2, hidden=(16, 16), weight_decay=(0.0, 0.0, 0.0), holdout=50,
                           max_epochs=3, batch_size=64)
TINY = dict(hidden=(32, 32), rollout_batch=16, rollout_every=3, rollout_length=2, retain_rollouts=2,
            lse_actions=3, env="halfcheetah")
OBS, ACT = 4, 2


@dataclass
class Data:
    observations: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_observations: torch.Tensor
    terminals: torch.Tensor

    def __len__(self):
        return self.observations.shape[0]

    def sample(self, idx):
        return {name: getattr(self, name)[idx] for name in
                ("observations", "actions", "rewards", "next_observations", "terminals")}


def synthetic_data(n=300, seed=0) -> Data:
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(n, OBS, generator=g)
    act = torch.rand(n, ACT, generator=g) * 2 - 1
    nxt = obs + 0.1 * act.sum(-1, keepdim=True)
    return Data(obs, act, obs[:, 0] - act[:, 1] ** 2, nxt, torch.zeros(n))


def set_up(algo, data: Data):
    """What setup(data) does, with a tiny model fitted here instead of the 7 x 4 x 200 default."""
    algo.model = GaussianEnsemble(OBS, ACT, algo.seeds, TINY_MODEL)
    fit_ensemble(algo.model, data.observations, data.actions, data.rewards, data.next_observations)
    algo.model.requires_grad_(False)
    algo.start_obs = data.observations
    algo.box = state_box(data.observations, algo.config.box_margin)
    if hasattr(algo, "fit_behaviour") and algo.config.dro_form == "action":
        algo.fit_behaviour(data)
    return algo


def batches(data: Data, seeds, steps, batch_size=16):
    gens = [torch.Generator().manual_seed(100 + s) for s in seeds]
    return [data.sample(torch.stack([torch.randint(len(data), (batch_size,), generator=g) for g in gens]))
            for _ in range(steps)]
