"""COMBO / DROMO instances for the engine benchmark (shared/bench.py): the paper-scale networks (3 x 256, batch 256,
N = 10) with an untrained dynamics ensemble (7 x 4 x 200) and synthetic start states, so timing needs no fitted
model. One rollout of ROLLOUT_BATCH start states fills the model buffer at construction; the timed updates
contain no rollout (rollout_every = 1000 > the timed steps), so the rate is that of the updates alone."""
from __future__ import annotations

import torch

from shared.model.ensemble import GaussianEnsemble
from shared.model.rollouts import state_box

ROLLOUT_BATCH = 5_000


def benchmark_instance(kind: str, obs_dim: int, act_dim: int, seeds, device):
    from papers.dromo.algorithm import DROMO, DROMOConfig   # the benchmark reports the papers' methods
    from shared.rl.combo import COMBO, COMBOConfig

    sizes = {"env": "halfcheetah", "rollout_batch": ROLLOUT_BATCH}
    if kind == "combo":
        algo = COMBO(obs_dim, act_dim, 1.0, seeds, COMBOConfig(**sizes), device)
    else:
        form = "strict" if kind == "dromo_strict" else "action"
        algo = DROMO(obs_dim, act_dim, 1.0, seeds, DROMOConfig(**sizes, dro_form=form), device)
    algo.model = GaussianEnsemble(obs_dim, act_dim, algo.seeds).to(device).requires_grad_(False)
    algo.start_obs = torch.randn(10_000, obs_dim, generator=torch.Generator().manual_seed(0)).to(device)
    algo.box = state_box(algo.start_obs, algo.config.box_margin)
    algo.rollout()
    return algo
