"""D4RL v2 HDF5 conversion and the offline behaviour of the minari source."""
import h5py
import numpy as np
import pytest

from shared.data import load_dataset
from shared.data.catalog import d4rl_url, minari_id
from shared.data.sources import fetch_d4rl, fetch_minari


def _write_d4rl_file(path, n=9, drop=None):
    """A small file in D4RL v2's layout: episodes of 3 (terminal), 4 (timeout) and a trailing 2."""
    rng = np.random.default_rng(0)
    arrays = {
        "observations": rng.normal(size=(n, 11)).astype(np.float32),
        "actions": rng.uniform(-1, 1, size=(n, 3)).astype(np.float32),
        "rewards": rng.normal(size=n).astype(np.float32),
        "next_observations": rng.normal(size=(n, 11)).astype(np.float32),
        "terminals": np.array([0, 0, 1, 0, 0, 0, 0, 0, 0], bool),
        "timeouts": np.array([0, 0, 0, 0, 0, 0, 1, 0, 0], bool),
    }
    ends = np.logical_or(arrays["terminals"], arrays["timeouts"])
    inside = ~ends[:-1]
    arrays["next_observations"][:-1][inside] = arrays["observations"][1:][inside]  # as in D4RL's files
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            if key != drop:
                f[key] = value
        f["infos/qpos"] = np.zeros((n, 6))  # D4RL files carry extra groups; they are ignored
    return arrays


def test_d4rl_file_converts_unchanged_and_evaluates_on_v4(tmp_path):
    arrays = _write_d4rl_file(tmp_path / "hopper_medium-v2.hdf5")
    fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=tmp_path / "hopper_medium-v2.hdf5")
    ds = load_dataset("hopper-medium", source="d4rl", root=tmp_path / "root")
    for key in ("observations", "actions", "rewards", "next_observations", "terminals"):
        assert np.array_equal(getattr(ds, key).numpy(), arrays[key].astype(np.float32)), key
    assert ds.timeouts.tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 1]  # the unfinished tail is closed as a timeout
    assert ds.env_id == "Hopper-v4"
    assert (ds.metadata["ref_min_score"], ds.metadata["ref_max_score"]) == (-20.272305, 3234.3)
    assert ds.metadata["d4rl_url"] == d4rl_url("hopper-medium")


def test_d4rl_next_observation_disagreements_are_counted(tmp_path):
    """Minari stores one observation sequence per episode, so a file whose next observation disagrees with the
    following observation cannot be kept unchanged: the conversion counts such transitions in the provenance."""
    path = tmp_path / "hopper_medium-v2.hdf5"
    _write_d4rl_file(path)
    with h5py.File(path, "a") as f:
        f["next_observations"][0] += 1.0
    fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=path)
    assert load_dataset("hopper-medium", "d4rl", root=tmp_path / "root").metadata["next_observation_mismatches"] == 1


def test_d4rl_url_follows_the_d4rl_file_names():
    assert d4rl_url("halfcheetah-medium-replay") == \
        "https://rail.eecs.berkeley.edu/datasets/offline_rl/gym_mujoco_v2/halfcheetah_medium_replay-v2.hdf5"


def test_d4rl_v0_names_and_files_mixed_is_medium_replay(tmp_path):
    assert d4rl_url("hopper-mixed-v0") == d4rl_url("hopper-medium-replay-v0") == \
        "https://rail.eecs.berkeley.edu/datasets/offline_rl/gym_mujoco/hopper_mixed.hdf5"
    assert d4rl_url("walker2d-medium-expert-v0").endswith("/gym_mujoco/walker2d_medium_expert.hdf5")
    assert d4rl_url("hopper-medium-v2") == d4rl_url("hopper-medium")
    arrays = _write_d4rl_file(tmp_path / "hopper_mixed.hdf5", drop="next_observations")   # v0 files have none
    fetch_d4rl("hopper-mixed-v0", tmp_path / "root", hdf5=tmp_path / "hopper_mixed.hdf5")
    ds = load_dataset("hopper-medium-replay-v0", source="d4rl", root=tmp_path / "root")
    assert np.array_equal(ds.observations.numpy(), arrays["observations"])
    assert np.array_equal(ds.next_observations[:2].numpy(), arrays["observations"][1:3])
    assert "v0" in ds.metadata["score_label"]


def test_d4rl_file_without_a_required_key_is_named(tmp_path):
    _write_d4rl_file(tmp_path / "bad.hdf5", drop="timeouts")
    with pytest.raises(SystemExit, match=r"not a D4RL v2 dataset: missing \['timeouts'\]"):
        fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=tmp_path / "bad.hdf5")


def test_non_hdf5_file_is_a_clear_error(tmp_path):
    (tmp_path / "junk.hdf5").write_bytes(b"not an hdf5 file")
    with pytest.raises(SystemExit, match="not a readable HDF5 file"):
        fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=tmp_path / "junk.hdf5")


def test_minari_without_network_names_the_id_and_the_generated_alternative(tmp_path, monkeypatch):
    import minari

    def offline(*args, **kwargs):
        raise ConnectionError("Name or service not known")
    monkeypatch.setattr(minari, "load_dataset", offline)
    with pytest.raises(SystemExit) as err:
        fetch_minari("hopper-medium", tmp_path)
    message = str(err.value)
    assert "mujoco/hopper/medium-v0" in message and "--source generated" in message and "\n" not in message


def test_minari_ids():
    assert minari_id("hopper-expert") == "mujoco/hopper/expert-v0"
    assert minari_id("antmaze-medium-play") == "D4RL/antmaze/medium-play-v1"
    with pytest.raises(SystemExit, match="use --source generated"):
        minari_id("hopper-medium-replay")
