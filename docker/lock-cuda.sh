#!/usr/bin/env bash
# Regenerates requirements-cuda.lock: requirements.in resolved against the public PyPI index for Linux x86_64 and
# Python 3.11, where torch==2.13.0 is the CUDA 13 build (+cu130: cuda-toolkit, cudnn, nccl, triton, ...). Every
# package requirements.lock (the CPU lock) pins keeps its pin; the CUDA stack is added on purpose, not by accident.
#   docker/lock-cuda.sh          # needs the network; pip fetches the wheels to resolve them (~2.5 GB, not kept)
# PIP_INDEX_URL and PIP_CERT are honoured (a mirror, or a proxy whose CA only the host trusts).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
report=$(mktemp --suffix=.json)
trap 'rm -f "$report"' EXIT
"$PYTHON" -m pip install --isolated --no-cache-dir --dry-run --ignore-installed --quiet \
    --index-url "${PIP_INDEX_URL:-https://pypi.org/simple}" ${PIP_CERT:+--cert "$PIP_CERT"} \
    --report "$report" -c requirements.lock -r requirements.in
"$PYTHON" - "$report" > requirements-cuda.lock <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
pins = sorted((item["metadata"]["name"], item["metadata"]["version"]) for item in report["install"])
print("# Fully pinned CUDA environment (the Docker image): requirements.in on PyPI for Linux x86_64, Python 3.11,")
print("# the CPU lock's pins kept. Regenerate: docker/lock-cuda.sh (see README 'Dependencies').")
for name, version in sorted(pins, key=lambda pin: pin[0].lower()):
    print(f"{name}=={version}")
PY
echo "wrote requirements-cuda.lock ($(grep -vc '^#' requirements-cuda.lock) packages)" >&2
