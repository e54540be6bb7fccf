"""Kill-and-resume helpers of the fine-tuning tests."""
import json

import pytest

from shared.rl.buffers import ReplayBuffer


@pytest.fixture
def killed_at_update(monkeypatch):
    """killed_at_update(n, main, argv): main(argv) interrupted, as a kill would, when it draws its n-th batch."""
    def run(n: int, main, argv) -> None:
        original, calls = ReplayBuffer.sample, []

        def dies_at_n(self, generators, batch_size):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            return original(self, generators, batch_size)

        monkeypatch.setattr(ReplayBuffer, "sample", dies_at_n)
        with pytest.raises(KeyboardInterrupt):
            main(argv)
        monkeypatch.setattr(ReplayBuffer, "sample", original)
    return run


def learning_metrics(run_dir) -> list[dict]:
    """metrics.jsonl without the timing column (which a resumed run measures differently)."""
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in m.items() if k != "env_steps_per_s"} for m in lines]


@pytest.fixture
def metrics_of():
    return learning_metrics
