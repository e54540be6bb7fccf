# The cached dynamics model of one (dataset, seed), shared by every COMBO and DROMO run on that dataset.
# Included by the root Snakefile, which provides config["model"] (config/papers/model.yaml at the active scale),
# config["data"]["source"], config["data_root"] and config["results"]. The papers' rules depend on pipeline.run_inputs(...).
from shared.model import pipeline as model_pipeline
from shared.rl.device import gpus, pipeline_device

MODEL_RUNS = model_pipeline.model_runs(config)


rule model_fit:
    """7 Gaussian dynamics models (5 elites) of one dataset and seed; hold-out error, time, hardware in model.json."""
    input:
        lambda wc: model_pipeline.dataset_file(config, wc.dataset),
    output:
        model=f"{MODEL_RUNS}/{{dataset}}/seed{{seed}}/model.pt",
        report=f"{MODEL_RUNS}/{{dataset}}/seed{{seed}}/model.json",
    params:
        args=lambda wc: model_pipeline.model_fit_args(config, wc.dataset, wc.seed),
    wildcard_constraints:
        dataset=r"[a-z0-9]+(-[a-z]+)+",
        seed=r"\d+",
    log:
        f"{MODEL_RUNS}/{{dataset}}/seed{{seed}}/fit.log",
    threads: 1
    resources:
        gpu=gpus(pipeline_device(config)),
    shell:
        "python -m shared.model.train {params.args} --out $(dirname {output.model}) 2> {log}"
