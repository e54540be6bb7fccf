"""Named random streams: every purpose its own stream, for every seed a training run can have."""
import itertools

import pytest
import torch

from shared.rl import streams


def test_no_two_streams_meet_for_seeds_below_the_spacing():
    offsets = sorted(streams.OFFSETS.values())
    assert len(offsets) == len(set(offsets))
    assert all(b - a >= streams.STREAM_SPACING for a, b in zip(offsets, offsets[1:]))
    for a, b in itertools.combinations(streams.OFFSETS, 2):   # [offset, offset + spacing) are disjoint
        seeds_a = set(streams.stream_seeds(a, range(0, streams.STREAM_SPACING, 97)))
        assert not seeds_a & set(streams.stream_seeds(b, range(0, streams.STREAM_SPACING, 97))), (a, b)


def test_kept_offsets_of_committed_results():
    kept = {"init": 0, "init_q2": 10_000, "init_value": 20_000, "target_smoothing": 30_000,
            "offline_sampling": 40_000, "sac_act": 50_000, "online_sampling": 60_000, "exploration": 70_000}
    assert {name: streams.OFFSETS[name] for name in kept} == kept
    assert streams.ENV_OFFSETS["eval_env"] == 100


def test_generators_draw_per_member_numbers():
    a, b = streams.generators("exploration", [0, 1])
    assert not torch.equal(torch.rand(4, generator=a), torch.rand(4, generator=b))
    assert a.initial_seed() == 70_000 and b.initial_seed() == 70_001


def test_unknown_stream_fails_clearly():
    with pytest.raises(KeyError, match="unknown random stream 'sampling'"):
        streams.generators("sampling", [0])
    with pytest.raises(ValueError, match="2 generator states for 1 members"):
        streams.set_states(streams.generators("init", [0]), [None, None])
