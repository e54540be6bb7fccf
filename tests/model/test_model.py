"""The dynamics ensemble, its cache and branched rollouts, on small generated data (no environment needed)."""
import dataclasses

import torch

from shared.model.ensemble import GaussianEnsemble, ModelSettings, fit_ensemble
from shared.model.rollouts import ModelBuffer, branched_rollout, state_box
from shared.model.store import load_ensemble, save_seed_model, split_by_seed
from shared.model.termination import termination_for

SMALL = ModelSettings(n_models=3, n_elites=2, hidden=(32, 32), weight_decay=(0.0, 0.0, 0.0), holdout=100,
                      max_epochs=60, batch_size=64)


def linear_system(n=600, obs_dim=3, act_dim=2, seed=0):
    """s' = s + 0.1 (A s + B a) + small noise, r = s_0 - a_0 / 2: learnable, with a known structure."""
    g = torch.Generator().manual_seed(seed)
    a_mat, b_mat = torch.randn(obs_dim, obs_dim, generator=g) * 0.3, torch.randn(act_dim, obs_dim, generator=g)
    obs = torch.randn(n, obs_dim, generator=g)
    act = torch.rand(n, act_dim, generator=g) * 2 - 1
    next_obs = obs + 0.1 * (obs @ a_mat + act @ b_mat) + 0.01 * torch.randn(n, obs_dim, generator=g)
    return obs, act, obs[:, 0] - 0.5 * act[:, 0], next_obs


def test_fitting_lowers_holdout_error_and_picks_the_best_members_as_elites():
    obs, act, rew, next_obs = linear_system()
    model = GaussianEnsemble(3, 2, [0], SMALL)
    report = fit_ensemble(model, obs, act, rew, next_obs)
    assert report.elite_holdout_mse[0] < 0.2 * report.initial_holdout_mse[0]
    per_member = torch.tensor(report.holdout_mse[0])
    assert set(model.elites[0].tolist()) == set(per_member.argsort()[:2].tolist())


def test_k_seeds_fitted_together_equal_single_seed_fits_and_the_store_stacks_them(tmp_path):
    obs, act, rew, next_obs = linear_system()
    short = dataclasses.replace(SMALL, max_epochs=5)   # float drift between batched shapes grows with training
    together = GaussianEnsemble(3, 2, [3, 7], short)
    report = fit_ensemble(together, obs, act, rew, next_obs)
    for k, seed in enumerate([3, 7]):
        alone = GaussianEnsemble(3, 2, [seed], short)
        alone_report = fit_ensemble(alone, obs, act, rew, next_obs)
        # Same epochs and elites; values equal up to float reduction order (batched shapes differ).
        assert alone_report.epochs[0] == report.epochs[k]
        assert torch.allclose(torch.tensor(alone_report.holdout_mse[0]), torch.tensor(report.holdout_mse[k]), rtol=1e-3)
        for name, value in split_by_seed(together)[k].items():
            assert torch.allclose(value.float(), alone.state_dict()[name].float(), rtol=1e-3, atol=1e-5), name
        save_seed_model(tmp_path / f"seed{seed}", split_by_seed(alone)[0], seed, short, 3, 2, alone_report, 0, {})
    stacked = load_ensemble([tmp_path / "seed3", tmp_path / "seed7"])
    x = (obs[None, :5].expand(2, 5, 3), act[None, :5].expand(2, 5, 2))
    assert torch.allclose(stacked(*x)[0], together(*x)[0], atol=1e-4)


def test_rollouts_stay_in_the_data_box_or_terminate_and_fill_the_buffer():
    obs, act, rew, next_obs = linear_system(obs_dim=11)
    model = GaussianEnsemble(11, 2, [0, 1], SMALL)
    fit_ensemble(model, obs, act, rew, next_obs)
    with torch.no_grad():   # make the model drift far: some branches must leave the box
        model.net.linear_layers()[-1].bias[:, :, 0] += 0.3
    box = state_box(obs, margin=0.1)
    buffer = ModelBuffer(2, 10_000, 11, 2)
    gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
    start = obs[:50][None].expand(2, 50, 11).contiguous()
    policy = lambda o: torch.rand(*o.shape[:2], 2, generator=gens[0]) * 2 - 1  # noqa: E731
    stats = branched_rollout(model, start, policy, termination_for("hopper"), 5, box, gens, buffer)
    assert stats["rollout_kept_per_start"].shape == (2,)
    assert ((0 < stats["rollout_kept_per_start"]) & (stats["rollout_kept_per_start"] < 5)).all()
    for k in range(2):
        assert round(float(stats["rollout_kept_per_start"][k]) * 50) == buffer.size[k]
    for k in range(2):
        n = buffer.size[k]
        nxt, term = buffer.data["next_observations"][k, :n], buffer.data["terminals"][k, :n].bool()
        inside = ((nxt >= box[0]) & (nxt <= box[1])).all(-1)
        assert (inside | term).all()
        assert torch.equal(term, termination_for("hopper")(nxt))
    batch = buffer.sample(gens, 32)
    assert batch["observations"].shape == (2, 32, 11) and batch["terminals"].shape == (2, 32)


def test_jump_reward_matches_its_formula_on_numpy_and_torch():
    import numpy as np

    from shared.model.tasks import jump_reward

    obs = np.zeros((2, 17))
    obs[:, 0], obs[:, 8] = [0.2, -0.1], [5.0, 1.0]          # root height, x-velocity (capped at 3)
    act = np.array([[1.0] * 6, [0.0] * 6])
    expected = np.array([-0.6 + 3.0 + 15 * 0.2, 0.0 + 1.0 - 1.5])
    assert np.allclose(jump_reward(act, obs), expected)
    assert torch.allclose(jump_reward(torch.tensor(act), torch.tensor(obs)), torch.tensor(expected))
