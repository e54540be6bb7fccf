import subprocess
import sys
from pathlib import Path

import pytest

from shared import config as cfg
from shared.config import ConfigError, merge, resolve, settings
from shared.data.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
GOOD = {"scale": "quick", "papers": ["dmg", "oo_lmdp"], "data": {"source": "generated", "root": "data"}}


def _snakemake(*config):
    return subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--forceall", "--cores", "1", "--config",
                           *config], cwd=REPO, capture_output=True, text=True)


def _error(overrides) -> str:
    with pytest.raises(ConfigError) as err:
        resolve(merge(GOOD, overrides))
    message = str(err.value)
    assert "\n" not in message
    return message


def test_resolve_fills_paper_settings_for_the_scale():
    resolved = resolve(GOOD)
    assert resolved["scale"] == "quick" and resolved["data_root"] == "data"
    assert resolved["dmg"]["steps"] == 2000 and "experiments" in resolved["oo_lmdp"]
    assert resolved["data"]["source"] == "generated" and resolved["data"]["rollout_envs"] == 10


def test_other_scales_keep_their_data_apart_from_the_quick_datasets():
    assert resolve(merge(GOOD, {"scale": "paper"}))["data_root"] == "data/paper"
    assert resolve(merge(GOOD, {"scale": "tiny", "data": {"root": "/tmp/d"}}))["data_root"] == "/tmp/d/tiny"


@pytest.mark.parametrize("name", sorted(p.stem for p in cfg.PAPER_CONFIGS.glob("*.yaml")))
@pytest.mark.parametrize("scale", ["tiny", "quick", "paper"])
def test_every_committed_scale_is_valid(name, scale):
    assert settings(name, scale)


@pytest.mark.parametrize("overrides, fragments", [
    ({"scale": "huge"}, ["'scale'", "tiny, quick, paper"]),
    ({"scal": "tiny"}, ["unknown key 'scal'", "did you mean 'scale'?"]),
    ({"papers": ["dmgg"]}, ["'papers.0'", "did you mean 'dmg'?"]),
    ({"data": {"source": "s3"}}, ["'data.source'", "generated, minari, d4rl"]),
    ({"dmg": {"steps": -5}}, ["'dmg.steps'", "minimum of 1"]),
    ({"dmg": {"seeds": []}}, ["'dmg.seeds'", "must not be empty"]),
    ({"dmg": {"seeds": [0, 0]}}, ["'dmg.seeds'", "repeated"]),
    ({"dmg": {"seeds": [-1]}}, ["'dmg.seeds.0'", "minimum of 0"]),
    ({"dmg": {"stepz": 10}}, ["unknown key 'stepz'", "did you mean 'steps'?"]),
    ({"dmg": {"steps": 2001}}, ["'dmg.steps'", "multiple of 'log_every' (250)"]),
    ({"dmg": {"eval": {"locomotion": {"every": 100}}}}, ["'dmg.eval.locomotion.every'", "multiple of"]),
    ({"dmg": {"table2": {"datasets": ["hoper-medium"]}}}, ["did you mean 'hopper-medium'?"]),
    ({"dmg": "steps"}, ["'dmg'", "not of type object"]),
    ({"data": {"medium_band": [8, 4]}}, ["'data.medium_band.0'", "at most"]),
    ({"data": {"sac": {"start_steps": 10**9}}}, ["'data.sac.start_steps'", "less than 'total_steps'"]),
    ({"oo_lmdp": {"experiments": {"fig2a": {"runs": 0}}}}, ["'oo_lmdp.experiments.fig2a.runs'"]),
    ({"oo_lmdp": {"experiments": {"fig9": {}}}}, ["'fig9'", "did you mean"]),
    ({"oo_lmdp": {"experiments": {"fig2a": {"sweep": "delta_tau"}}}}, ["'rules' is a required property"]),
])
def test_bad_config_is_one_line_naming_the_key(overrides, fragments):
    message = _error(overrides)
    assert message.startswith("config error at ")
    for fragment in fragments:
        assert fragment in message, message


def test_command_line_text_is_coerced_and_merged_key_by_key():
    # Snakemake hands nested --config values over as text: dmg={steps: 500, eval: {...}} -> {'steps': '500', ...}
    text = {"dmg": {"steps": "500", "seeds": ["3", "4"], "eval": {"antmaze": {"every": "250"}}}}
    resolved = resolve(merge(GOOD, text))
    dmg = resolved["dmg"]
    assert dmg["steps"] == 500 and dmg["seeds"] == [3, 4]
    assert dmg["eval"]["antmaze"] == {"every": 250, "episodes": 10}  # the file's episodes kept
    assert "'dmg.steps'" in _error({"dmg": {"steps": "thirty"}})


def test_yaml_syntax_error_names_the_file_and_line(tmp_path, monkeypatch):
    (tmp_path / "dmg.yaml").write_text("quick:\n  steps: 10\n  seeds: [0, 1\n")
    monkeypatch.setattr(cfg, "PAPER_CONFIGS", tmp_path)
    with pytest.raises(ConfigError, match=r"dmg\.yaml line \d+, column \d+: invalid YAML"):
        settings("dmg", "quick")


def test_a_paper_with_rules_but_no_schema_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "newpaper").mkdir()
    (tmp_path / "newpaper" / "rules.smk").write_text("")
    monkeypatch.setattr(cfg, "PAPERS_DIR", tmp_path)
    with pytest.raises(ConfigError, match=r"config/schema/newpaper\.yaml is missing"):
        resolve({**GOOD, "papers": ["newpaper"]})


def test_data_jobs_settings_override_the_scale_file():
    assert load_settings("tiny", {"rollout_envs": 2, "sac": {"seed": 7}}).rollout_envs == 2
    with pytest.raises(SystemExit, match="'data.rollout_envs'"):
        load_settings("tiny", {"rollout_envs": 0})


def test_snakemake_rejects_a_typo_with_one_line():
    proc = _snakemake("scal=tiny")
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "config error" in line]
    assert len(lines) == 1 and lines[0].startswith("config error at '<top level>': unknown key 'scal'")
    assert lines[0].endswith("did you mean 'scale'?")
    assert "Traceback" not in proc.stderr


def test_snakemake_nested_override_is_validated_not_a_traceback():
    proc = _snakemake("dmg={steps: 30}")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout
    assert "config error at 'dmg.steps'" in proc.stderr


def test_overrides_reach_the_data_and_oo_lmdp_jobs():
    proc = _snakemake("data={seed: 3}", "oo_lmdp={lam: 2.5}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    generate = [line for line in proc.stdout.splitlines() if "shared.data generate" in line]
    experiments = [line for line in proc.stdout.splitlines() if "papers.oo_lmdp.run_figure" in line]
    assert generate and all('"seed": 3' in line for line in generate)
    assert experiments and all('"lam": 2.5' in line for line in experiments)
