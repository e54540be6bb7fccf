"""Carrying an unfinished behaviour training to another session: export without the replay buffer, rebuild it by
replaying the actions, resume to exactly the files of an uninterrupted run; bad carries are refused."""
import dataclasses
import json

import numpy as np
import pytest
import torch

import shared.data.behaviour as behaviour
from shared.data.carry import export_carry
from shared.data.catalog import LOCOMOTION
from shared.data.levels import select_checkpoints
from shared.data.settings import DataSettings
from shared.runs import load_torch

HOPPER = LOCOMOTION["hopper"]
SETTINGS = DataSettings.from_mapping("tiny", {
    "envs": ["hopper"], "medium_band": [5.0, 100.0], "rollout_envs": 1, "seed": 0,
    "sac": {"total_steps": 300, "start_steps": 100, "checkpoint_every": 100, "eval_episodes": 1, "seed": 0},
    "agent": {"hidden": [32, 32], "batch_size": 32, "source": "a small SAC for tests"},
    "transitions": {"random": 10, "medium": 10, "expert": 10}})
BAND = SETTINGS.medium_band("hopper")


def _train(out, carry=None, agent=SETTINGS.agent):
    return behaviour.train_behaviour(HOPPER, SETTINGS.sac, out, "tiny", agent, carry=carry)


def _train_until_killed(out, monkeypatch, evaluations: int, carry=None):
    """Train and die while scoring checkpoint number `evaluations` (the ones before it are saved)."""
    evaluate, calls = behaviour.evaluate_policy, []

    def evaluate_then_die(*args, **kwargs):
        calls.append(1)
        if len(calls) == evaluations:
            raise KeyboardInterrupt
        return evaluate(*args, **kwargs)
    monkeypatch.setattr(behaviour, "evaluate_policy", evaluate_then_die)
    with pytest.raises(KeyboardInterrupt):
        _train(out, carry)
    monkeypatch.setattr(behaviour, "evaluate_policy", evaluate)


def _metrics_without_rates(run_dir):
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in line.items() if k != "env_steps_per_s"} for line in lines]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    _train(out)
    return out


def test_a_carried_training_resumes_to_the_uninterrupted_files(uninterrupted, tmp_path, monkeypatch):
    first, carry = tmp_path / "session1", tmp_path / "carry"
    _train_until_killed(first, monkeypatch, evaluations=2)            # checkpoint 100 saved
    export_carry(first, carry, BAND)
    second = tmp_path / "session2"                                     # a new disk: only the carry survives
    _train_until_killed(second, monkeypatch, evaluations=2, carry=carry)   # restored at 100, dies scoring 300
    chunk = (carry / "actions-0000000-0000100.npy").read_bytes()
    record = export_carry(second, carry, BAND)
    assert record["step"] == 200 and record["chunks"] == ["actions-0000000-0000100.npy",
                                                           "actions-0000100-0000200.npy"]
    assert (carry / "actions-0000000-0000100.npy").read_bytes() == chunk, "a chunk is never rewritten"
    assert not list(carry.glob("*replay*")) and load_torch(carry / "state.pt")["state"]["source"]["timeouts"] is None

    third = tmp_path / "session3"
    _train(third, carry)
    assert (third / "replay.npz").read_bytes() == (uninterrupted / "replay.npz").read_bytes()
    assert _metrics_without_rates(third) == _metrics_without_rates(uninterrupted)
    manifest, reference = (json.loads((d / "behaviour.json").read_text()) for d in (third, uninterrupted))
    assert [c["returns"] for c in manifest["checkpoints"]] == [c["returns"] for c in reference["checkpoints"]]
    carried, full = (load_torch(d / "policies.pt")["actors"] for d in (third, uninterrupted))
    selection = select_checkpoints(reference["checkpoints"], BAND)
    for step in {selection["medium_step"], selection["expert_step"], 300}:   # what the datasets can use is kept
        assert all(torch.equal(carried[step][k], full[step][k]) for k in full[step])


def test_actions_that_do_not_replay_to_the_exported_buffer_are_refused(tmp_path, monkeypatch):
    first, carry = tmp_path / "session1", tmp_path / "carry"
    _train_until_killed(first, monkeypatch, evaluations=2)
    export_carry(first, carry, BAND)
    chunk = carry / "actions-0000000-0000100.npy"
    actions = np.load(chunk)
    actions[0, 50, 0] = -actions[0, 50, 0]
    np.save(chunk, actions)
    with pytest.raises(SystemExit, match="did not rebuild the exported replay buffer bit for bit"):
        _train(tmp_path / "session2", carry)


def test_a_carry_of_other_settings_is_refused(tmp_path, monkeypatch):
    first, carry = tmp_path / "session1", tmp_path / "carry"
    _train_until_killed(first, monkeypatch, evaluations=2)
    export_carry(first, carry, BAND)
    with pytest.raises(SystemExit, match="made with other settings"):
        _train(tmp_path / "session2", carry, agent=dataclasses.replace(SETTINGS.agent, tau=0.01))
    with pytest.raises(SystemExit, match="no checkpoint"):
        export_carry(tmp_path / "nothing", carry, BAND)
