# The two commands of the README, each setting up .venv/ on a fresh machine first.
#   make reproduce   regenerate every table, figure and diff at the default (quick) scale
#   make test        run the test suite
#   make gpu-check   CPU vs CUDA agreement, the engine benchmark on CUDA, a timed DMG slice (< 8 min, one GPU)
#   make docker-test build the image with podman on a local Debian base and run its test stage (opt-in; root)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: reproduce test report dag clean-results gpu-check docker-test lock-cuda

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

reproduce: $(VENV)/.installed
	$(BIN)/snakemake --cores all

test: $(VENV)/.installed
	$(BIN)/python -m pytest

dag: $(VENV)/.installed
	$(BIN)/snakemake -n --cores all

gpu-check: $(VENV)/.installed
	$(BIN)/python -m shared.gpu_check --out results/bench/gpu_check.json

docker-test:
	docker/test.sh

lock-cuda:
	docker/lock-cuda.sh
