# Generated datasets (D4RL recipe on Gymnasium MuJoCo v5). Included by the root Snakefile, which provides
# config["data"] (the active scale's mapping of config/papers/data.yaml + data.source/root), config["scale"]
# and config["data_root"]. Paper rules depend on a dataset through shared.data.dataset_target(name, source, root).
import json

from shared.data import dataset_target
from shared.data.catalog import GENERATED_ID_PATTERN, LOCOMOTION_LEVELS
from shared.data.loading import minari_file
from shared.data.settings import PINNED_DIR

DATA_ROOT = config["data_root"]
DATA_SCALE = config["scale"]
DATA_ENVS = config["data"]["envs"]
# Each job gets the resolved settings it uses (so --config overrides reach it, and a change re-runs exactly it).
DATA_BEHAVIOUR_SETTINGS = json.dumps({key: config["data"][key] for key in ("sac", "device") if key in config["data"]})
DATA_DATASET_SETTINGS = json.dumps({key: config["data"][key] for key in ("medium_band", "transitions", "rollout_envs",
                                                                         "seed")})
DATA_GPUS = 1 if str(config["data"].get("device", "cpu")).startswith("cuda") else 0


def _pinned_behaviour(wildcards):
    """Committed artifacts are an input, so re-pinned ones are installed again."""
    manifest = PINNED_DIR / DATA_SCALE / wildcards.env / "behaviour.json"
    return [str(manifest)] if manifest.exists() else []


rule data_behaviour:
    """SAC behaviour policy of one env: checkpoints, their scores, the replay buffer (pinned copy if committed)."""
    input:
        _pinned_behaviour,
    output:
        f"{DATA_ROOT}/behaviour/{DATA_SCALE}/{{env}}/behaviour.json",
    params:
        settings=DATA_BEHAVIOUR_SETTINGS,
    wildcard_constraints:
        env="hopper|halfcheetah|walker2d",
    log:
        f"{DATA_ROOT}/logs/{DATA_SCALE}/behaviour-{{env}}.log",
    threads: 1
    resources:
        gpu=DATA_GPUS,
    shell:
        "python -m shared.data behaviour --env {wildcards.env} --scale {DATA_SCALE} --root {DATA_ROOT} "
        "--settings {params.settings:q} 2> {log}"


def _dataset_inputs(wildcards):
    if wildcards.level == "random":
        return []
    if wildcards.level == "medium-expert":
        return [dataset_target(f"{wildcards.env}-{part}", "generated", DATA_ROOT) for part in ("medium", "expert")]
    return [rules.data_behaviour.output[0].format(env=wildcards.env)]


rule data_dataset:
    """One generated dataset (Minari format, provenance in its metadata)."""
    input:
        _dataset_inputs,
    output:
        minari_file(DATA_ROOT, GENERATED_ID_PATTERN),
    params:
        settings=DATA_DATASET_SETTINGS,
    wildcard_constraints:
        env="hopper|halfcheetah|walker2d",
        level="|".join(LOCOMOTION_LEVELS),
    log:
        f"{DATA_ROOT}/logs/{DATA_SCALE}/dataset-{{env}}-{{level}}.log",
    threads: 1
    shell:
        "python -m shared.data generate {wildcards.env}-{wildcards.level} --scale {DATA_SCALE} "
        "--root {DATA_ROOT} --settings {params.settings:q} 2> {log}"


rule data_all:
    """Every generated dataset of the active scale."""
    input:
        [dataset_target(f"{env}-{level}", "generated", DATA_ROOT) for env in DATA_ENVS for level in LOCOMOTION_LEVELS],
