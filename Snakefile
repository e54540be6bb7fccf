# Regenerates every table and figure of the replicated papers and diffs them against the published numbers.
#   snakemake --cores all                          # default quick scale (config/config.yaml)
#   snakemake --cores all --config scale=paper     # the papers' protocol (GPUs)
#   snakemake --cores all dmg_all                  # one paper alone
import os
import sys
from pathlib import Path

from shared.config import ConfigError, load_config

# One intra-op thread per job: parallelism comes from Snakemake jobs and from seeds vectorised in one process.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
# Jobs' `python` is the interpreter running Snakemake (the project's venv), whatever PATH says.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
# ... and imports `shared` and `papers` from this checkout, also with --directory elsewhere (not from wherever an
# editable install points).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")]))


envvars:
    "PATH",
    "PYTHONPATH",

# config/config.yaml is read here rather than by `configfile:` so that a YAML error names its file and line;
# `config` holds --configfile/--config, merged over it. Everything is validated before the DAG is built.
try:
    config.update(load_config(config))
except ConfigError as err:
    sys.exit(str(err))

# Every job in the project image (Dockerfile) under --software-deployment-method apptainer (README, "GPU machines,
# containers and clusters"); ignored by a plain run, which uses the venv.
container: config["container"]

REPO = Path(workflow.basedir)
RESULTS = config["results"]  # results/ at the quick scale, results/<scale>/ at the others (shared/config.py)
PAPERS = [p for p in config["papers"] if (REPO / "papers" / p / "rules.smk").exists()]
os.environ.setdefault("MINARI_DATASETS_PATH", str(Path(config["data_root"]).resolve() / "minari"))

include: "shared/data/rules.smk"
include: "shared/model/rules.smk"
for paper in PAPERS:
    include: f"papers/{paper}/rules.smk"
include: "shared/report/rules.smk"


rule all:
    default_target: True
    input:
        rules.report_all.output,
