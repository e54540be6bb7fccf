"""Episodes <-> flat transitions: boundaries, next-observation alignment, terminals kept apart from timeouts."""
import numpy as np
import pytest

from shared.data.episodes import Episode, content_hash, flatten, split_transitions


def _stream():
    # 7 transitions: an episode ending terminal (3 steps), one ending by timeout (2), a trailing unfinished one (2).
    obs = np.arange(7 * 2, dtype=np.float32).reshape(7, 2)
    next_obs = obs + 100
    terminals = np.array([0, 0, 1, 0, 0, 0, 0], dtype=np.float32)
    timeouts = np.array([0, 0, 0, 0, 1, 0, 0], dtype=np.float32)
    return dict(observations=obs, actions=np.ones((7, 1), np.float32), rewards=np.arange(7, dtype=np.float32),
                next_observations=next_obs, terminals=terminals, timeouts=timeouts)


def test_split_cuts_at_terminals_and_timeouts_and_closes_the_tail_as_truncated():
    episodes = split_transitions(**_stream())
    assert [len(e) for e in episodes] == [3, 2, 2]
    assert [bool(e.terminations[-1]) for e in episodes] == [True, False, False]
    assert [bool(e.truncations[-1]) for e in episodes] == [False, True, True]
    # The observation after an episode's last action is that transition's next observation.
    assert np.array_equal(episodes[0].observations[-1], np.array([104, 105], np.float32))


def test_flatten_inverts_split():
    stream = _stream()
    flat = flatten(split_transitions(**stream))
    for key in ("observations", "actions", "rewards", "terminals"):
        assert np.array_equal(flat[key], stream[key]), key
    assert flat["timeouts"].tolist() == [0, 0, 0, 0, 1, 0, 1]  # the cut tail is a timeout, not a terminal
    ends = [2, 4, 6]
    assert np.array_equal(flat["next_observations"][ends], stream["next_observations"][ends])


def test_within_an_episode_next_observation_is_the_next_row():
    episode = Episode(np.arange(8, dtype=np.float32).reshape(4, 2), np.zeros((3, 1)), np.zeros(3),
                      np.array([0, 0, 1], bool), np.zeros(3, bool))
    flat = flatten([episode])
    assert np.array_equal(flat["next_observations"][:-1], flat["observations"][1:])


def test_episode_rejects_inconsistent_lengths_and_early_ends():
    with pytest.raises(ValueError, match="inconsistent"):
        Episode(np.zeros((3, 2)), np.zeros((3, 1)), np.zeros(3), np.zeros(3, bool), np.zeros(3, bool))
    with pytest.raises(ValueError, match="last step"):
        Episode(np.zeros((4, 2)), np.zeros((3, 1)), np.zeros(3), np.array([1, 0, 0], bool), np.zeros(3, bool))


def test_content_hash_sees_a_single_changed_value():
    flat = flatten(split_transitions(**_stream()))
    before = content_hash(flat)
    flat["rewards"][3] += 1e-3
    assert content_hash(flat) != before
