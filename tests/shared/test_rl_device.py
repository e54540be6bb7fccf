"""Device plumbing: the rule's --device and gpu resource, distinct GPUs for concurrent local jobs."""
import pytest

from shared.rl import device


def test_rule_device_and_gpu_resource(monkeypatch):
    monkeypatch.setattr(device, "cuda_available", lambda: False)
    assert device.rule_device("auto") == "cpu" and device.gpus("cpu") == 0
    assert device.rule_device("cuda") == "cuda" and device.gpus("cuda") == 1   # a cluster's login node has no GPU
    monkeypatch.setattr(device, "cuda_available", lambda: True)
    assert device.rule_device("auto") == "cuda"
    with pytest.raises(SystemExit, match="--device tpu: expected auto, cpu"):
        device.rule_device("tpu")


def test_job_device_on_a_machine_without_cuda(monkeypatch):
    monkeypatch.setattr(device, "cuda_available", lambda: False)
    assert device.resolve_device("auto") == "cpu" and device.resolve_device("cpu") == "cpu"
    with pytest.raises(SystemExit, match="CUDA is not available"):
        device.resolve_device("cuda")


def test_concurrent_jobs_claim_distinct_gpus(tmp_path, monkeypatch):
    monkeypatch.setattr(device, "_held_locks", [])
    claims = [device.claim_gpu(2, tmp_path) for _ in range(3)]
    assert claims == [0, 1, 0]            # two free GPUs, then all busy: the first
    for handle in device._held_locks:
        handle.close()                    # a finished job releases its GPU
    assert device.claim_gpu(2, tmp_path) == 0
