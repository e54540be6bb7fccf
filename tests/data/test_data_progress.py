"""Where a behaviour training stands: the report's medium candidate follows the band, and its figure is drawn."""
import json

from shared.data.behaviour import train_behaviour
from shared.data.catalog import LOCOMOTION
from shared.data.progress import behaviour_progress, progress_figure
from shared.data.settings import DataSettings, behaviour_dir

SETTINGS = DataSettings.from_mapping("tiny", {
    "envs": ["hopper", "walker2d"], "medium_band": [5.0, 100.0], "rollout_envs": 1, "seed": 0,
    "sac": {"total_steps": 200, "start_steps": 100, "checkpoint_every": 100, "eval_episodes": 1, "seed": 0},
    "agent": {"hidden": [16, 16], "batch_size": 16, "source": "a small SAC for tests"},
    "transitions": {"random": 10, "medium": 10, "expert": 10}})


def test_progress_reports_finished_and_unstarted_envs_and_draws_them(tmp_path):
    train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, behaviour_dir(tmp_path, "tiny", "hopper"), "tiny",
                    SETTINGS.agent)
    report = behaviour_progress(SETTINGS, tmp_path, tmp_path / "progress.json")
    hopper = report["envs"]["hopper"]
    assert report["envs"]["walker2d"] == {"status": "not started"}
    assert hopper["status"] == "done" and [c["step"] for c in hopper["checkpoints"]] == [100, 200]
    inside = [c["step"] for c in hopper["checkpoints"] if 5.0 <= c["normalized_score"] <= 100.0]
    assert hopper["medium_step"] == (inside[0] if inside else None)
    assert json.loads((tmp_path / "progress.json").read_text()) == report
    figure = progress_figure(report, tmp_path / "progress.png")
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_progress_falls_back_to_the_pinned_manifest(tmp_path):
    trained = behaviour_dir(tmp_path / "trained", "tiny", "hopper")
    train_behaviour(LOCOMOTION["hopper"], SETTINGS.sac, trained, "tiny", SETTINGS.agent)
    report = behaviour_progress(SETTINGS, tmp_path / "fresh root", pinned_root=tmp_path / "trained" / "behaviour")
    hopper = report["envs"]["hopper"]
    assert hopper["status"] == "done" and hopper["record"].endswith("trained/behaviour/tiny/hopper/behaviour.json")
    assert report["envs"]["walker2d"] == {"status": "not started"}
