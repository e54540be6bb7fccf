# Generated datasets (D4RL recipe on Gymnasium MuJoCo v5). Included by the root Snakefile, which provides
# config["data"] (the active scale's mapping of config/papers/data.yaml + data.source/root), config["scale"]
# and config["data_root"]. Paper rules depend on a dataset through shared.data.dataset_target(name, source, root).
from shared.data import dataset_target
from shared.data import pipeline as data_pipeline
from shared.data.catalog import GENERATED_ID_PATTERN, LOCOMOTION_LEVELS
from shared.data.loading import minari_file

DATA_ROOT = config["data_root"]
DATA_SCALE = config["scale"]
DATA_ENVS = config["data"]["envs"]
# Behaviour policies are named (data/behaviour/<name>/): scales naming the same behaviour share one training.
BEHAVIOUR = config["data"].get("behaviour") or DATA_SCALE


rule data_behaviour:
    """SAC behaviour policy of one env: checkpoints, their scores, the replay buffer (pinned copy if committed)."""
    input:
        lambda wc: data_pipeline.pinned_behaviour(BEHAVIOUR, wc.env),
    output:
        f"{DATA_ROOT}/behaviour/{BEHAVIOUR}/{{env}}/behaviour.json",
    params:
        settings=data_pipeline.behaviour_settings(config["data"]),
        scale=DATA_SCALE,
        # lint: "Param root is a prefix of ... output but hardcoded". Kept: the data root is the setting and the
        # CLI lays out the files under it (shared.data); deriving it back from the output would copy that layout.
        root=DATA_ROOT,
    wildcard_constraints:
        env="hopper|halfcheetah|walker2d",
    log:
        f"{DATA_ROOT}/logs/{DATA_SCALE}/behaviour-{{env}}.log",
    threads: 1
    resources:
        gpu=data_pipeline.gpus(config["data"]),
    shell:
        "python -m shared.data behaviour --env {wildcards.env} --scale {params.scale} --root {params.root:q} "
        "--settings {params.settings:q} 2> {log}"


rule data_dataset:
    """One generated dataset (Minari format, provenance in its metadata)."""
    input:
        lambda wc: data_pipeline.dataset_inputs(DATA_ROOT, rules.data_behaviour.output[0], wc.env, wc.level),
    output:
        minari_file(DATA_ROOT, GENERATED_ID_PATTERN),
    params:
        settings=data_pipeline.dataset_settings(config["data"]),
        scale=DATA_SCALE,
        # lint: "Param root is a prefix of ... output but hardcoded". Kept: the data root is the setting and the
        # CLI lays out the files under it (shared.data); deriving it back from the output would copy that layout.
        root=DATA_ROOT,
    wildcard_constraints:
        env="hopper|halfcheetah|walker2d",
        level="|".join(LOCOMOTION_LEVELS),
    log:
        f"{DATA_ROOT}/logs/{DATA_SCALE}/dataset-{{env}}-{{level}}.log",
    threads: 1
    shell:
        "python -m shared.data generate {wildcards.env}-{wildcards.level} --scale {params.scale} "
        "--root {params.root:q} --settings {params.settings:q} 2> {log}"


rule data_all:
    """Every generated dataset of the active scale."""
    input:
        [dataset_target(f"{env}-{level}", "generated", DATA_ROOT) for env in DATA_ENVS for level in LOCOMOTION_LEVELS],
