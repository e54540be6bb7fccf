"""A dataset that does not fit its environment, or holds non-finite values, fails when fetched or loaded."""
import subprocess
import sys

import h5py
import numpy as np
import pytest

from shared.data import load_dataset
from shared.data.checks import check_transitions, env_widths
from shared.data.sources import fetch_d4rl


def _d4rl_file(path, obs_width=11, act_width=3, n=8):
    rng = np.random.default_rng(0)
    arrays = {"observations": rng.normal(size=(n, obs_width)), "actions": rng.uniform(-1, 1, size=(n, act_width)),
              "rewards": rng.normal(size=n), "next_observations": rng.normal(size=(n, obs_width)),
              "terminals": np.eye(n, dtype=bool)[3], "timeouts": np.zeros(n, bool)}
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f[key] = value.astype(np.float32) if value.dtype != bool else value
    return path


def test_env_widths_are_the_spaces_of_the_environment():
    assert env_widths("Hopper-v4") == (11, 3) and env_widths("HalfCheetah-v5") == (17, 6)
    assert env_widths("NoSuchEnv-v0") is None


def test_d4rl_file_of_another_width_fails_at_fetch_with_one_line(tmp_path):
    path = _d4rl_file(tmp_path / "hopper_medium-v2.hdf5", obs_width=17)
    with pytest.raises(SystemExit) as err:
        fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=path)
    message = str(err.value)
    assert "observations have shape (8, 17), but Hopper-v4 expects [N, 11]" in message and "\n" not in message
    proc = subprocess.run([sys.executable, "-m", "shared.data", "fetch", "hopper-medium", "--source", "d4rl",
                           "--root", str(tmp_path / "root"), "--hdf5", str(path)], capture_output=True, text=True)
    assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1


def test_action_width_is_checked_too(tmp_path):
    path = _d4rl_file(tmp_path / "f.hdf5", act_width=6)
    with pytest.raises(SystemExit, match=r"actions have shape \(8, 6\), but Hopper-v4 expects \[N, 3\]"):
        fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=path)


def test_non_finite_values_fail_at_fetch(tmp_path):
    path = _d4rl_file(tmp_path / "f.hdf5")
    with h5py.File(path, "a") as f:
        f["rewards"][2] = np.nan
    with pytest.raises(SystemExit, match="rewards hold 1 non-finite values"):
        fetch_d4rl("hopper-medium", tmp_path / "root", hdf5=path)


def test_a_loaded_dataset_is_checked_against_its_env(tmp_path, monkeypatch):
    fetch_d4rl("hopper-medium", tmp_path, hdf5=_d4rl_file(tmp_path / "f.hdf5"))
    assert len(load_dataset("hopper-medium", "d4rl", root=tmp_path)) == 8
    import shared.data.loading as loading
    monkeypatch.setattr(loading, "_env_id", lambda raw, provenance: "HalfCheetah-v4")  # recorded env of another width
    with pytest.raises(SystemExit, match="HalfCheetah-v4 expects"):
        load_dataset("hopper-medium", "d4rl", root=tmp_path)


def test_a_dataset_failing_its_hash_names_the_command_that_remakes_it(tmp_path):
    fetch_d4rl("hopper-medium", tmp_path, hdf5=_d4rl_file(tmp_path / "f.hdf5"))
    with h5py.File(tmp_path / "minari" / "d4rl" / "hopper" / "medium-v2" / "data" / "main_data.hdf5", "a") as f:
        f["episode_0/rewards"][0] += 1.0
    with pytest.raises(SystemExit) as err:
        load_dataset("hopper-medium", "d4rl", root=tmp_path)
    assert f"rm -rf {tmp_path}/minari/d4rl/hopper/medium-v2 && python -m shared.data fetch hopper-medium " \
           f"--source d4rl --root {tmp_path}" in str(err.value)


def test_check_transitions_rejects_text_columns():
    arrays = {"observations": np.zeros((2, 11)), "actions": np.array([["a"] * 3] * 2), "rewards": np.zeros(2),
              "next_observations": np.zeros((2, 11))}
    with pytest.raises(SystemExit, match="actions are not numeric"):
        check_transitions(arrays, "", "x")


def test_a_downloaded_d4rl_file_is_pinned_then_enforced(tmp_path, monkeypatch):
    import shared.data.sources as sources
    monkeypatch.setattr(sources, "D4RL_PINS", tmp_path / "pins.json")

    def download(url, path):  # stands in for the network: a valid small D4RL file
        assert url.startswith("https://")
        path.parent.mkdir(parents=True, exist_ok=True)
        _d4rl_file(path)
    monkeypatch.setattr(sources, "_download", download)
    fetch_d4rl("hopper-medium", tmp_path / "root")
    pins = __import__("json").loads((tmp_path / "pins.json").read_text())
    cached = tmp_path / "root" / "d4rl_hdf5" / "hopper_medium-v2.hdf5"
    assert pins == {"hopper_medium-v2.hdf5": sources._file_sha256(cached)}
    fetch_d4rl("hopper-medium", tmp_path / "root")  # the cached copy still matches
    with h5py.File(cached, "a") as f:
        f["rewards"][0] += 1.0
    with pytest.raises(SystemExit, match="differs from the pinned"):
        fetch_d4rl("hopper-medium", tmp_path / "root")
    with pytest.raises(SystemExit, match="differs from the pinned"):  # a local file claiming to be that file
        fetch_d4rl("hopper-medium", tmp_path / "other", hdf5=cached)
