import sys

import torch

from shared.report.cli import main

torch.set_num_threads(1)  # the project's rule for every entry point (claims may import torch-based code)
sys.exit(main())
