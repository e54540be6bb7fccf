"""The generated-data recipe end to end on a small hopper dataset, and the loader's errors."""
import dataclasses
import json
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch

from shared.data import dataset_target, load_dataset
from shared.data.behaviour import train_behaviour
from shared.data.catalog import LOCOMOTION
from shared.data.generate import generate_dataset
from shared.data.level_table import level_cell, level_rows, markdown
from shared.data.levels import select_checkpoints
from shared.data.pinning import install_pinned
from shared.data.settings import DataSettings, behaviour_dir
from shared.rl.sac import SACConfig
from shared.runs import load_torch

LEVELS = ("random", "medium", "expert", "medium-replay", "medium-expert")
SMALL = SACConfig(hidden=(32, 32), batch_size=32)
SETTINGS = DataSettings.from_mapping("tiny", {
    "envs": ["hopper"], "medium_band": [0.0, 100.0], "rollout_envs": 3, "seed": 0,
    "sac": {"total_steps": 300, "start_steps": 100, "checkpoint_every": 100, "eval_episodes": 1, "seed": 0},
    "agent": {"hidden": [32, 32], "batch_size": 32, "source": "a small SAC for tests"},
    "transitions": {"random": 400, "medium": 300, "expert": 300}})


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, behaviour_dir(root, "tiny", "hopper"), "tiny",
                    SETTINGS.agent, sac_source=SETTINGS.agent_source)
    for level in LEVELS:
        generate_dataset(f"hopper-{level}", SETTINGS, root)
    return root


def _load(root, level):
    return load_dataset(f"hopper-{level}", root=root)


@pytest.mark.parametrize("level", LEVELS)
def test_fields_shapes_and_flags(root, level):
    ds = _load(root, level)
    n = len(ds)
    assert ds.observations.shape == ds.next_observations.shape == (n, 11)
    assert ds.actions.shape == (n, 3) and ds.rewards.shape == ds.terminals.shape == ds.timeouts.shape == (n,)
    assert all(t.dtype == torch.float32 for t in (ds.observations, ds.actions, ds.rewards, ds.terminals))
    assert not torch.any((ds.terminals > 0) & (ds.timeouts > 0)), "a transition is terminal or a timeout, never both"
    assert ds.env_id == "Hopper-v5" and ds.metadata["source"] == "generated"
    assert ds.actions.abs().max() <= 1.0


def test_sizes_follow_the_recipe(root):
    assert len(_load(root, "random")) == 400
    assert len(_load(root, "medium")) == len(_load(root, "expert")) == 300
    medium_step = _load(root, "medium").metadata["checkpoints"]["medium_step"]
    assert len(_load(root, "medium-replay")) == medium_step


def test_next_observation_is_the_next_row_inside_episodes(root):
    ds = _load(root, "medium")
    inside = (ds.terminals[:-1] == 0) & (ds.timeouts[:-1] == 0)
    assert inside.sum() > 0
    assert torch.equal(ds.next_observations[:-1][inside], ds.observations[1:][inside])
    # and a new episode starts after every end: its first observation is not the previous next observation
    ends = torch.nonzero((ds.terminals[:-1] + ds.timeouts[:-1]) > 0).squeeze(1)
    assert not torch.equal(ds.next_observations[ends], ds.observations[ends + 1])


def test_terminals_are_falls_and_timeouts_are_cuts(root):
    """Hopper terminates when unhealthy (height <= 0.7 or |angle| >= 0.2 here); rollouts cut by the quota are
    timeouts, one per rollout environment."""
    ds = _load(root, "random")
    fell = ds.next_observations[ds.terminals > 0]
    assert len(fell) > 0
    assert torch.all((fell[:, 0] <= 0.7) | (fell[:, 1].abs() >= 0.2) | (fell[:, 1:].abs() >= 100).any(1))
    assert int(ds.timeouts.sum()) == SETTINGS.rollout_envs


def test_medium_replay_is_the_replay_buffer_prefix(root):
    ds = _load(root, "medium-replay")
    with np.load(behaviour_dir(root, "tiny", "hopper") / "replay.npz") as replay:
        assert np.array_equal(ds.observations.numpy(), replay["observations"][:len(ds)])
        assert np.array_equal(ds.terminals.numpy(), replay["terminals"][:len(ds)])


def test_medium_expert_is_medium_then_expert(root):
    me, m, e = _load(root, "medium-expert"), _load(root, "medium"), _load(root, "expert")
    assert torch.equal(me.observations, torch.cat([m.observations, e.observations]))
    assert torch.equal(me.rewards, torch.cat([m.rewards, e.rewards]))


def test_normalisation_statistics_and_scores(root):
    ds = _load(root, "medium")
    obs = ds.observations.numpy().astype(np.float64)
    assert np.allclose(ds.obs_mean.numpy(), obs.mean(0), atol=1e-5)
    assert np.allclose(ds.obs_std.numpy(), obs.std(0), atol=1e-5)  # raw: no epsilon added
    assert ds.normalized_score([-20.272305, 3234.3]).tolist() == pytest.approx([0.0, 100.0])
    assert ds.metadata["score_label"].startswith("D4RL-style")


def test_provenance_is_recorded(root):
    meta = _load(root, "expert").metadata
    for key in ("source", "env_id", "recipe", "behaviour_seed", "checkpoints", "ref_min_score", "ref_max_score",
                "content_sha256", "rollout_seed"):
        assert key in meta, key
    assert meta["checkpoints"]["expert_step"] in (100, 200, 300)


def test_level_table_shows_each_levels_score_beside_d4rls(root):
    rows = {r["level"]: r for r in level_rows(("hopper", "walker2d"), root) if r["env"] == "hopper"}
    for level in LEVELS:
        meta = _load(root, level).metadata
        assert rows[level]["score"] == pytest.approx(meta["episode_normalized_mean"]), level
        assert rows[level]["transitions"] == len(_load(root, level))
    assert rows["medium"]["checkpoints"]["medium_step"] == _load(root, "medium").metadata["checkpoints"]["medium_step"]
    assert (rows["medium"]["d4rl_data_score"], rows["expert"]["d4rl_data_score"]) == (44.0, 108.0)
    table = markdown(level_rows(("hopper", "walker2d"), root))
    assert f"| hopper (ours) | {rows['random']['score']:.1f} (400, " in table
    assert "| hopper (D4RL's data) | not known here | 44 | not known here | 108 | not known here |" in table
    assert "| walker2d (ours) | missing | missing | missing | missing | missing |" in table
    assert rows["medium"]["data_in_band"] is True      # the tiny band is [0, 100]
    assert _load(root, "medium").summary()["level"] == {"data_score": rows["medium"]["score"],
                                                         "medium_band": [0.0, 100.0], "data_in_band": True}
    assert _load(root, "expert").summary()["level"] == {"data_score": rows["expert"]["score"]}
    narrow = {**rows["medium"], "data_in_band": False, "checkpoints": {**rows["medium"]["checkpoints"],
                                                                        "medium_band": [54.0, 70.0]}}
    assert level_cell(narrow).endswith("ep.), outside the band [54, 70]")


def test_a_medium_dataset_outside_its_band_is_flagged(root, tmp_path, capsys):
    other = tmp_path / "data"
    shutil.copytree(behaviour_dir(root, "tiny", "hopper"), behaviour_dir(other, "tiny", "hopper"))
    unreachable = dataclasses.replace(SETTINGS, medium_bands={"hopper": (500.0, 600.0)})
    generate_dataset("hopper-medium", unreachable, other)
    assert "warning: hopper-medium scores" in capsys.readouterr().err
    level = load_dataset("hopper-medium", root=other).summary()["level"]
    assert level["medium_band"] == [500.0, 600.0] and level["data_in_band"] is False


def test_generation_is_deterministic_and_accepts_a_relative_root(root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rel").mkdir()
    (tmp_path / "rel" / "behaviour").symlink_to(root / "behaviour")
    generate_dataset("hopper-medium", SETTINGS, "rel")
    assert (load_dataset("hopper-medium", root="rel").metadata["content_sha256"]
            == _load(root, "medium").metadata["content_sha256"])


def test_behaviour_training_is_deterministic(root, tmp_path):
    train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, tmp_path, "tiny", SMALL)
    first = behaviour_dir(root, "tiny", "hopper")
    assert (tmp_path / "replay.npz").read_bytes() == (first / "replay.npz").read_bytes()
    again, before = (load_torch(d / "policies.pt")["actors"] for d in (tmp_path, first))
    assert all(torch.equal(again[300][k], before[300][k]) for k in before[300])


def test_interrupted_behaviour_training_resumes_to_identical_files(root, tmp_path, monkeypatch):
    import shared.data.behaviour as behaviour
    evaluate, calls = behaviour.evaluate_policy, []

    def evaluate_then_die(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # checkpoints 100 and 200 are saved; die while scoring 300
            raise KeyboardInterrupt
        return evaluate(*args, **kwargs)
    monkeypatch.setattr(behaviour, "evaluate_policy", evaluate_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, tmp_path, "tiny", SMALL)
    assert (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "behaviour.json").exists()
    progress = json.loads((tmp_path / "progress.json").read_text())
    assert [c["step"] for c in progress["checkpoints"]] == [100, 200]
    monkeypatch.setattr(behaviour, "evaluate_policy", evaluate)
    with pytest.raises(SystemExit, match="other settings or code"):   # hours of training are not dropped silently
        train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, tmp_path, "tiny", dataclasses.replace(SMALL, tau=0.01))
    train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, tmp_path, "tiny", SMALL)
    first = behaviour_dir(root, "tiny", "hopper")
    assert (tmp_path / "replay.npz").read_bytes() == (first / "replay.npz").read_bytes()
    resumed, uninterrupted = (load_torch(d / "policies.pt")["actors"] for d in (tmp_path, first))
    assert all(torch.equal(resumed[300][k], uninterrupted[300][k]) for k in uninterrupted[300])
    assert (tmp_path / "metrics.jsonl").read_text().count("\n") == 3
    assert not (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "progress.json").exists()


def test_medium_is_the_first_checkpoint_in_band_else_the_closest():
    checkpoints = [{"step": s, "normalized_score": v} for s, v in [(1, 5.0), (2, 25.0), (3, 35.0), (4, 80.0)]]
    assert select_checkpoints(checkpoints, (20.0, 40.0)) == {
        "medium_step": 2, "medium_score": 25.0, "medium_in_band": True, "expert_step": 4, "expert_score": 80.0,
        "medium_band": [20.0, 40.0]}
    off = select_checkpoints(checkpoints, (50.0, 60.0))
    assert (off["medium_step"], off["medium_in_band"]) == (3, False)


def test_pinned_artifacts_are_installed_only_for_matching_settings(root, tmp_path):
    pinned = behaviour_dir(root, "tiny", "hopper")
    other = SETTINGS.sac.__class__(**{**SETTINGS.sac.__dict__, "total_steps": 1000})
    assert not install_pinned(pinned, tmp_path / "a", dataclasses.replace(SETTINGS, sac=other), "hopper")
    faster = dataclasses.replace(SETTINGS, agent=dataclasses.replace(SETTINGS.agent, critic_lr=1e-3))
    assert not install_pinned(pinned, tmp_path / "a", faster, "hopper")
    assert not (tmp_path / "a").exists()
    assert install_pinned(pinned, tmp_path / "b", SETTINGS, "hopper")
    assert (tmp_path / "b" / "behaviour.json").read_bytes() == (pinned / "behaviour.json").read_bytes()


def test_manifest_records_the_hyperparameters_and_their_source(root):
    manifest = json.loads((behaviour_dir(root, "tiny", "hopper") / "behaviour.json").read_text())
    assert manifest["sac"]["hidden"] == [32, 32] and manifest["sac"]["critic_lr"] == SETTINGS.agent.critic_lr
    assert manifest["sac_source"] == "a small SAC for tests"
    assert manifest["steps"] == 300 and manifest["wall_seconds"] > 0 and manifest["hardware"]["logical_cpus"] >= 1
    assert [c["step"] for c in manifest["checkpoints"]] == [100, 200, 300]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "shared.data", *args], capture_output=True, text=True)


def test_unknown_dataset_name_is_one_line_and_nonzero_exit(tmp_path):
    with pytest.raises(SystemExit, match="unknown dataset name 'hopper-mediocre'"):
        load_dataset("hopper-mediocre", root=tmp_path)
    result = _cli("info", "hopper-mediocre", "--root", str(tmp_path))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "hopper-mediocre" in result.stderr


def test_missing_generated_dataset_names_the_command(tmp_path):
    with pytest.raises(SystemExit, match="python -m shared.data generate walker2d-expert"):
        load_dataset("walker2d-expert", root=tmp_path)


def test_corrupted_file_is_one_line_and_nonzero_exit(root, tmp_path):
    (tmp_path / "minari" / "generated" / "hopper").mkdir(parents=True)
    src = root / "minari" / "generated" / "hopper" / "medium-v0"
    dst = tmp_path / "minari" / "generated" / "hopper" / "medium-v0"
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    hdf5 = dst / "data" / "main_data.hdf5"
    hdf5.write_bytes(hdf5.read_bytes()[:2000])  # truncated, as by a broken copy
    with pytest.raises(SystemExit, match="unreadable or corrupted"):
        load_dataset("hopper-medium", root=tmp_path)
    result = _cli("info", "hopper-medium", "--root", str(tmp_path))
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1


def test_edited_content_fails_the_hash_check(root, tmp_path):
    (tmp_path / "minari" / "generated" / "hopper").mkdir(parents=True)
    dst = tmp_path / "minari" / "generated" / "hopper" / "expert-v0"
    subprocess.run(["cp", "-r", str(root / "minari" / "generated" / "hopper" / "expert-v0"), str(dst)], check=True)
    with h5py.File(dst / "data" / "main_data.hdf5", "a") as f:
        f["episode_0/rewards"][0] += 1.0
    with pytest.raises(SystemExit, match="content hash"):
        load_dataset("hopper-expert", root=tmp_path)


def test_dataset_target_is_the_minari_file(tmp_path):
    assert dataset_target("halfcheetah-medium-replay", root="data") == \
        "data/minari/generated/halfcheetah/medium-replay-v0/data/main_data.hdf5"
    assert dataset_target("hopper-medium", "d4rl", "data") == "data/minari/d4rl/hopper/medium-v2/data/main_data.hdf5"
    assert dataset_target("hopper-medium", "minari", "data") == \
        "data/minari/mujoco/hopper/medium-v0/data/main_data.hdf5"


def test_cli_help_works():
    result = _cli("--help")
    assert result.returncode == 0 and "generate" in result.stdout


def test_compact_replay_restores_every_field_exactly(root):
    from shared.data.replay import compact, expand, read_replay
    full = read_replay(behaviour_dir(root, "tiny", "hopper"), 250)
    packed = compact(full)
    assert "next_observations" not in packed and len(packed["end_next_observations"]) < 250
    restored = expand(packed)
    assert all(np.array_equal(restored[k], full[k]) and restored[k].dtype == full[k].dtype for k in full)
    broken = {**full, "next_observations": full["next_observations"].copy()}
    inside = int(np.flatnonzero((full["terminals"] == 0) & (full["timeouts"] == 0))[0])
    broken["next_observations"][inside] += 1.0
    with pytest.raises(SystemExit, match="not be faithful"):
        compact(broken)


def test_a_trimmed_pin_makes_the_same_datasets(root, tmp_path):
    from shared.data.pinning import pin_behaviour
    target = tmp_path / "pinned" / "tiny" / "hopper"
    entry = pin_behaviour(behaviour_dir(root, "tiny", "hopper"), target, SETTINGS, "hopper", "remake",
                          pinned_root=tmp_path / "pinned")
    medium = _load(root, "medium").metadata["checkpoints"]
    assert entry["actors"] == sorted({medium["medium_step"], medium["expert_step"]})
    assert entry["replay_steps"] == medium["medium_step"]
    assert set(load_torch(target / "policies.pt")["actors"]) == set(entry["actors"])
    other = tmp_path / "other"
    assert install_pinned(target, behaviour_dir(other, "tiny", "hopper"), SETTINGS, "hopper")
    for level in ("medium", "medium-replay", "expert"):
        generate_dataset(f"hopper-{level}", SETTINGS, other)
        assert (load_dataset(f"hopper-{level}", root=other).metadata["content_sha256"]
                == _load(root, level).metadata["content_sha256"])
    narrower = dataclasses.replace(SETTINGS, medium_bands={"hopper": (0.0, 50.0)})
    assert not install_pinned(target, tmp_path / "c", narrower, "hopper")   # cut for another band


def test_pinning_over_the_budget_is_refused_and_leaves_nothing(root, tmp_path):
    from shared.data.pinning import pin_behaviour
    target = tmp_path / "pinned" / "tiny" / "hopper"
    with pytest.raises(SystemExit, match="over its budget"):
        pin_behaviour(behaviour_dir(root, "tiny", "hopper"), target, SETTINGS, "hopper", "remake",
                      pinned_root=tmp_path / "pinned", budget=1000)
    assert not any((tmp_path / "pinned").rglob("*.pt"))


def test_the_pin_command_refuses_artifacts_of_other_settings_in_one_line(root, tmp_path, monkeypatch):
    from shared.data import cli
    monkeypatch.setattr(cli, "PINNED_DIR", tmp_path / "pinned")
    # The fixture's SAC is smaller than the tiny config's: the command names the difference and writes nothing.
    with pytest.raises(SystemExit, match="not made with the config's settings"):
        cli.main(["pin", "--env", "hopper", "--scale", "tiny", "--root", str(root)])
    assert not (tmp_path / "pinned").exists()


def test_the_committed_pins_stay_within_the_budget():
    from shared.data.pinning import PINNED_BUDGET_BYTES, folder_bytes
    from shared.data.settings import PINNED_DIR
    assert 0 < folder_bytes(PINNED_DIR) <= PINNED_BUDGET_BYTES


def test_per_env_medium_bands_and_agent_source_are_required():
    mapping = {"envs": ["hopper", "walker2d"], "rollout_envs": 1, "seed": 0,
               "sac": {"total_steps": 300, "start_steps": 100, "checkpoint_every": 100, "eval_episodes": 1},
               "transitions": {"random": 1, "medium": 1, "expert": 1}}
    bands = {"hopper": [36, 52], "walker2d": [54, 70]}
    settings = DataSettings.from_mapping("x", {**mapping, "medium_band": bands})
    assert settings.medium_band("walker2d") == (54.0, 70.0) and settings.behaviour_name == "x"
    with pytest.raises(SystemExit, match="no band for"):
        DataSettings.from_mapping("x", {**mapping, "medium_band": {"hopper": [36, 52]}})
    with pytest.raises(SystemExit, match="source"):
        DataSettings.from_mapping("x", {**mapping, "medium_band": bands, "agent": {"critic_lr": 1e-3}})
    with pytest.raises(SystemExit, match="unknown agent settings"):
        DataSettings.from_mapping("x", {**mapping, "medium_band": bands, "agent": {"lr": 1e-3, "source": "s"}})


def test_sac_pace_validates_its_budget_in_one_line():
    result = subprocess.run([sys.executable, "-m", "shared.data.sac_pace", "--env", "hopper", "--steps", "7001"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1 and "--eval-every" in result.stderr
