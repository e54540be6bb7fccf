"""The end-to-end tests' one way to run the whole pipeline: in a temporary directory, on a test configuration."""
import subprocess
import sys
from pathlib import Path

import yaml

from shared.config import results_root

REPO = Path(__file__).resolve().parents[1]


def run_pipeline(workdir: Path, configfile: str, timeout: int = 1500) -> Path:
    """Runs Snakemake on tests/<configfile> in `workdir` (2 cores); asserts success; returns the folder its scale
    writes to (workdir/results/<scale>)."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), "--configfile", str(REPO / "tests" / configfile)],
        capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    scale = yaml.safe_load((REPO / "tests" / configfile).read_text())["scale"]
    return workdir / results_root(scale)
