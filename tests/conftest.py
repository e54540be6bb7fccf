import os

import pytest
import torch

# Tiny MLPs on CPU: one intra-op thread is fastest and keeps results deterministic.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _deterministic_torch():
    torch.manual_seed(0)
    yield
