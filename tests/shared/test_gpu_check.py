"""The GPU check's code path on the CPU (--cpu-only): agreement rows for every algorithm, benchmark, one JSON."""
import json

import pytest

from shared import gpu_check


def test_cpu_only_dry_run_writes_one_json(tmp_path):
    out = tmp_path / "check.json"
    gpu_check.main(["--cpu-only", "--updates", "3", "--bench-steps", "1", "--bench-seeds", "1", "--no-compile-check",
                    "--slice-steps", "100000000", "--out", str(out)])
    report = json.loads(out.read_text())
    assert report["device"] == "cpu" and report["agreement_ok"]       # the CPU agrees with itself
    assert {r["algo"] for r in report["agreement"]} == set(gpu_check.bench.BENCHMARKS)
    assert {r["algo"] for r in report["bench"]["results"]} == set(gpu_check.bench.BENCHMARKS)
    assert report["dmg_slice"].startswith("skipped")


def test_without_cuda_it_says_so(monkeypatch):
    monkeypatch.setattr(gpu_check.torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match="no CUDA device here"):
        gpu_check.main(["--out", "unused.json"])
