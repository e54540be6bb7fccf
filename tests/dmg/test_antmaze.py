"""DMG's AntMaze path at tiny scale, without a download: a few hundred random-policy steps of AntMaze_UMaze-v4
written as a local Minari dataset under D4RL/antmaze/umaze-v1 (dict observations, as Minari's D4RL AntMaze
datasets have), offline DMG with the authors' AntMaze settings, then online fine-tuning, killed and resumed."""
import dataclasses
import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from papers.dmg import finetune, settings, train
from shared.config import scale_settings
from shared.data import load_dataset
from shared.data.minari_io import minari_datasets_path, minari_root
from shared.rl.buffers import ReplayBuffer
from shared.rl.envs import SeedEnvs
from shared.runs import load_torch

pytest.importorskip("gymnasium_robotics")
pytestmark = pytest.mark.filterwarnings("ignore")  # Gymnasium-Robotics' deprecation notices

ENV_ID = "AntMaze_UMaze-v4"
SMALL_NET = ["--set", "hidden=[32,32]"]


def write_tiny_antmaze(root, episodes: int = 3, steps: int = 100, seed: int = 0, eval_env=None) -> None:
    """`episodes` random-policy episodes of `steps` steps (time-limit cut) as Minari's D4RL/antmaze/umaze-v1 under
    `root`, with the dict observations {observation, achieved_goal, desired_goal} of Minari's AntMaze datasets;
    `eval_env` (an EnvSpec) is recorded as the dataset's evaluation env."""
    import minari
    from minari.data_collector import EpisodeBuffer

    env, rng = gym.make(ENV_ID, max_episode_steps=steps), np.random.default_rng(seed)
    buffers = []
    for i in range(episodes):
        obs = [env.reset(seed=seed + i)[0]]
        actions = rng.uniform(-1, 1, (steps, 8))
        rewards = []
        for action in actions:
            next_obs, reward, *_ = env.step(action)
            obs.append(next_obs)
            rewards.append(reward)
        buffers.append(EpisodeBuffer(id=i, observations={k: np.stack([o[k] for o in obs]) for k in obs[0]},
                                     actions=actions, rewards=np.array(rewards), terminations=np.zeros(steps, bool),
                                     truncations=np.arange(steps) == steps - 1))
    minari_root(root).mkdir(parents=True)
    with minari_datasets_path(minari_root(root).resolve()):
        minari.create_dataset_from_buffers("D4RL/antmaze/umaze-v1", buffers, env=ENV_ID, eval_env=eval_env,
                                           algorithm_name="random",
                                           ref_min_score=0.0, ref_max_score=1.0, description="tiny test data")


@pytest.fixture(scope="module")
def antmaze_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("antmaze-data")
    write_tiny_antmaze(root)
    return root


def test_seed_envs_flatten_goal_observations_and_resume_with_the_goal():
    a = SeedEnvs(ENV_ID, [3, 4])
    a.max_episode_steps = 20  # episodes end inside the test: resets draw new goals and starts
    assert a.obs.shape == (2, 29) and np.allclose(a.obs[0, :2], a.envs[0].unwrapped.data.qpos[:2])
    actions = np.random.default_rng(0).uniform(-1, 1, (60, 2, 8))
    for t in range(30):
        a.step(actions[t])
    b = SeedEnvs(ENV_ID, [7, 8])
    b.max_episode_steps = 20
    assert not np.array_equal(a.envs[0].unwrapped.goal, b.envs[0].unwrapped.goal)
    b.load_state_dict(a.state_dict())
    for t in range(30, 60):
        for x, y in zip(a.step(actions[t]), b.step(actions[t])):
            np.testing.assert_array_equal(x, y)
        for ea, eb in zip(a.envs, b.envs):
            np.testing.assert_array_equal(ea.unwrapped.goal, eb.unwrapped.goal)
            # drawn on every reset (AntMaze zeroes the robot's reset noise, so only the state can show it)
            robots = (ea.unwrapped.ant_env, eb.unwrapped.ant_env)
            assert robots[0].np_random.bit_generator.state == robots[1].np_random.bit_generator.state
    np.testing.assert_array_equal(a.obs, b.obs)


def test_local_antmaze_dataset_loads_in_d4rls_layout(antmaze_root):
    dataset = load_dataset("antmaze-umaze", source="minari", root=antmaze_root)
    assert dataset.env_id == ENV_ID and dataset.observations.shape == (300, 29)
    assert dataset.metadata["dataset_id"] == "D4RL/antmaze/umaze-v1"
    assert not dataset.terminals.any() and dataset.timeouts.sum() == 3


def test_a_recorded_eval_env_with_its_own_arguments_is_the_one_evaluated(tmp_path):
    from gymnasium_robotics.envs.maze.maps import GOAL as G, RESET as R

    fixed = [[1, 1, 1, 1, 1], [1, R, 0, 0, 1], [1, 1, 1, 0, 1], [1, G, 0, 0, 1], [1, 1, 1, 1, 1]]  # D4RL's umaze
    spec = gym.spec(ENV_ID)
    spec = dataclasses.replace(spec, kwargs={**spec.kwargs, "maze_map": fixed, "continuing_task": True,
                                             "reset_target": False})
    write_tiny_antmaze(tmp_path, episodes=1, steps=5, eval_env=spec)
    env_id = load_dataset("antmaze-umaze", source="minari", root=tmp_path).env_id
    assert env_id == f"D4RL-antmaze-umaze-v1/{ENV_ID}" and gym.spec(env_id).max_episode_steps == 700
    starts, goals = [], []
    for seed in range(5):  # the start and goal cells are fixed: only the noise of +-0.25 cells varies
        env = SeedEnvs(env_id, [seed]).envs[0].unwrapped
        starts.append(env.reset_pos)
        goals.append(env.goal)
    scale = env.maze.maze_size_scaling  # the length of a cell
    assert np.ptp(starts, axis=0).max() <= 0.5 * scale and np.ptp(goals, axis=0).max() <= 0.5 * scale
    assert np.linalg.norm(np.mean(goals, 0) - np.mean(starts, 0)) > 1.5 * scale  # goal two cells below the start


def antmaze_dmg_flags() -> list[str]:
    """The authors' AntMaze hyperparameters as the pipeline passes them (config/papers/dmg.yaml, Table 5)."""
    algo, flags = settings.run_overrides(scale_settings("dmg", "tiny"), "table2", "antmaze-umaze", "dmg")
    assert algo == "dmg"
    return flags


def offline_dmg(root, out) -> dict:
    return train.main(["--algo", "dmg", "--dataset", "antmaze-umaze", "--source", "minari", "--data-root", str(root),
                       "--seeds", "0", "1", "--steps", "20", "--batch-size", "32", "--eval-every", "20",
                       "--eval-episodes", "1", "--log-every", "10", *antmaze_dmg_flags(), *SMALL_NET,
                       "--out", str(out)])


def finetune_args(root, offline, out) -> list[str]:
    return ["--method", "dmg", "--dataset", "antmaze-umaze", "--source", "minari", "--data-root", str(root),
            "--offline-run", str(offline), "--online-steps", "40", "--batch-size", "32", "--eval-every", "20",
            "--eval-episodes", "1", "--log-every", "10", "--decay-every", "20", "--out", str(out)]


def test_offline_dmg_then_fine_tuning_on_antmaze_resumes_exactly(antmaze_root, tmp_path, monkeypatch,
                                                                   killed_at_update, metrics_of):
    offline = offline_dmg(antmaze_root, tmp_path / "offline")
    config = offline["config"]
    assert (config["lam"], config["nu"], config["expectile"], config["temperature"], config["max_weight"]) == \
        (0.25, 0.5, 0.9, 10.0, 100.0)
    assert offline["env_id"] == ENV_ID and all(math.isfinite(r) for r in offline["final_return"])

    # Online transitions get the offline run's AntMaze preprocessing: raw states, rewards minus 1.
    added = []
    original_add = ReplayBuffer.add

    def recording_add(self, **fields):
        added.append(fields)
        return original_add(self, **fields)

    monkeypatch.setattr(ReplayBuffer, "add", recording_add)
    whole = finetune.main(finetune_args(antmaze_root, tmp_path / "offline", tmp_path / "whole"))
    monkeypatch.setattr(ReplayBuffer, "add", original_add)
    assert len(added) == 40 and all(f["observations"].shape == (2, 29) for f in added)
    assert ((0.2 < added[0]["observations"][:, 2]) & (added[0]["observations"][:, 2] < 1.0)).all()  # raw torso z
    rewards = torch.stack([f["rewards"] for f in added])
    assert set(rewards.unique().tolist()) <= {-1.0, 0.0}  # sparse 0/1 reward shifted by -1
    assert whole["config"]["expectile"] == 0.9 and whole["label"].startswith("antmaze-umaze (minari")

    killed_at_update(30, finetune.main, finetune_args(antmaze_root, tmp_path / "offline", tmp_path / "killed"))
    assert load_torch(tmp_path / "killed" / "checkpoint.pt")["step"] == 20  # mid-episode
    resumed = finetune.main(finetune_args(antmaze_root, tmp_path / "offline", tmp_path / "killed"))
    assert (tmp_path / "whole" / "eval.csv").read_text() == (tmp_path / "killed" / "eval.csv").read_text()
    assert metrics_of(tmp_path / "whole") == metrics_of(tmp_path / "killed")
    assert resumed["online_return"] == whole["online_return"]
