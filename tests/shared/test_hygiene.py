"""Security and robustness hygiene of the whole tree: checkpoints load without running code, run directories are
checked before any work."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from shared.runs import Run, load_torch

REPO = Path(__file__).resolve().parents[2]
UNSAFE = "weights_only=" + "False"  # spelt in two parts so that this file does not match itself


def _tracked_python_files():
    out = subprocess.run(["git", "ls-files", "*.py", "*.smk", "Snakefile"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.split()
    return [REPO / name for name in out if (REPO / name).is_file()]


def test_no_torch_load_may_run_code_from_a_file():
    offenders = [f"{path.relative_to(REPO)}:{number}" for path in _tracked_python_files()
                 for number, line in enumerate(path.read_text().splitlines(), start=1) if UNSAFE in line]
    assert not offenders, f"torch.load with {UNSAFE} (use shared.runs.load_torch): {offenders}"


def test_load_torch_reads_tensors_and_numpy_but_refuses_other_objects(tmp_path):
    state = {"w": torch.ones(2), "buffer": np.arange(3.0), "flags": np.array([True]), "n": np.int64(4), "k": 5}
    torch.save(state, tmp_path / "ok.pt")
    loaded = load_torch(tmp_path / "ok.pt")
    assert torch.equal(loaded["w"], state["w"]) and loaded["buffer"].tolist() == [0.0, 1.0, 2.0]
    assert loaded["n"] == 4 and loaded["k"] == 5
    torch.save({"f": os.getcwd, "p": Path("x")}, tmp_path / "code.pt")  # a pickle naming arbitrary globals
    with pytest.raises(Exception, match="[Ww]eights only load failed"):
        load_torch(tmp_path / "code.pt")


def test_run_directory_under_a_file_fails_before_any_work(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as err:
        Run(tmp_path / "file" / "run", seeds=[0])
    message = str(err.value)
    assert "run directory" in message and "is not writable" in message and "\n" not in message


def test_existing_directory_that_cannot_be_written_fails_with_one_line():
    target = Path("/sys")  # even root cannot create files in sysfs; tests run as root here, so chmod would not do
    if not target.is_dir() or _can_create_in(target):
        pytest.skip("no read-only directory here (/sys is writable or absent)")
    with pytest.raises(SystemExit, match="run directory /sys is not writable"):
        Run(target, seeds=[0])


def _can_create_in(directory: Path) -> bool:
    try:
        (directory / ".probe").touch()
    except OSError:
        return False
    (directory / ".probe").unlink()
    return True
