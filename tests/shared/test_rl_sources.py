"""Data sources: the FIFO model buffer, the real/model mixture and its rollout callback, state round trips."""
import hashlib

import pytest
import torch

from shared.rl.buffers import FIELDS, ReplayBuffer
from shared.rl.protocol import DataSource
from shared.rl.sources import FixedDataset, ModelMixture, Transitions

OBS, ACT, N = 2, 1, 50


def real_data():
    obs = torch.zeros(N, OBS)
    return Transitions(observations=obs, actions=torch.zeros(N, ACT), rewards=torch.zeros(N),
                       next_observations=obs, terminals=torch.zeros(N), obs_mean=torch.zeros(OBS),
                       obs_std=torch.ones(OBS))


def model_transitions(k, n, reward):
    """n transitions per member whose reward says which rollout (and member) made them."""
    rewards = torch.full((k, n), float(reward)) + torch.arange(k).unsqueeze(1) * 100
    return {"observations": torch.ones(k, n, OBS), "actions": torch.ones(k, n, ACT), "rewards": rewards,
            "next_observations": torch.ones(k, n, OBS), "terminals": torch.zeros(k, n)}


def test_fifo_buffer_keeps_the_newest_transitions():
    buffer = ReplayBuffer(None, n_members=2, capacity=5, obs_dim=OBS, act_dim=ACT, fifo=True)
    for r in range(1, 4):
        buffer.extend(model_transitions(2, 2, r))          # 6 transitions into 5 slots: the first one goes
    assert buffer.size == 5 and sorted(buffer.online["rewards"][0].tolist()) == [1, 2, 2, 3, 3]
    buffer.extend(model_transitions(2, 7, 9))              # more than capacity: only the newest 5 fit
    assert buffer.online["rewards"][1].tolist() == [109.0] * 5
    plain = ReplayBuffer(None, 2, 3, OBS, ACT)
    with pytest.raises(RuntimeError, match="buffer full"):
        plain.extend(model_transitions(2, 4, 1))


def test_model_mixture_mixes_real_and_model_data_and_calls_rollouts_on_schedule():
    calls = []

    def rollout(step, algo):
        calls.append(step)
        return model_transitions(2, 4, step)

    source = ModelMixture(FixedDataset(real_data(), [0, 1]), [0, 1], real_fraction=0.25, rollout=rollout,
                          rollout_every=3, capacity=8)
    assert isinstance(source, DataSource)
    for step in range(1, 8):
        source.before_update(step, algo=None)
    assert calls == [1, 4, 7]
    batch = source.sample(40)
    assert all(batch[name].shape[:2] == (2, 40) for name in FIELDS)
    real = batch["rewards"] == 0                           # real rewards are 0, model ones are not
    assert real[:, :10].all() and not real[:, 10:].any()   # round(0.25 * 40) real transitions first
    assert set(batch["rewards"][0, 10:].tolist()) <= {4.0, 7.0} and (batch["rewards"][1, 10:] > 100).all()


def test_model_mixture_state_round_trip_gives_the_same_batches():
    def rollout(step, algo):
        return model_transitions(1, 3, step)

    def make():
        return ModelMixture(FixedDataset(real_data(), [5]), [5], 0.5, rollout, 1, 10)

    a, b = make(), make()
    for step in (1, 2, 3):
        a.before_update(step, None)
    a.sample(8)
    b.load_state_dict(a.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(a.sample(8).values(), b.sample(8).values()))
    fa, fb = hashlib.sha256(), hashlib.sha256()
    a.fingerprint(fa)
    ModelMixture(FixedDataset(real_data(), [5]), [5], 0.25, rollout, 1, 10).fingerprint(fb)
    assert fa.hexdigest() != fb.hexdigest()                # another real fraction is another run


def test_bad_mixture_settings_fail_clearly():
    with pytest.raises(ValueError, match="real_fraction"):
        ModelMixture(FixedDataset(real_data(), [0]), [0], 1.5, lambda s, a: {}, 1, 10)
    empty = ModelMixture(FixedDataset(real_data(), [0]), [0], 0.5, lambda s, a: model_transitions(1, 0, 0), 1, 10)
    with pytest.raises(RuntimeError, match="model buffer is empty"):
        empty.sample(4)
