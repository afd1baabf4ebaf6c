# The two commands: `make run` (local stack) and `make test` (the whole suite). Both set up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROLE ?= clerk

.PHONY: install run load test lint unit bench token clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Start moto (Step Functions execution on), provision every resource, serve the app on :8000.
## Data is kept in .local/ across restarts; FRESH=1 starts empty. PORT=8010 MOTO_PORT=5011 choose the ports.
PORT ?= 8000
MOTO_PORT ?= 5001
run: install
	TZ=UTC $(BIN)/python -m local.stack --port $(PORT) --moto-port $(MOTO_PORT) $(if $(FRESH),--fresh)

## 500 intakes from 16 concurrent clients against a stack of its own: latency, errors, memory per open case.
load: install
	TZ=UTC $(BIN)/python -m bench.local_load

## Lint, type-check and run every test (unit, API under moto, end-to-end against a local stack), on
## WORKERS processes (pytest-xdist); the tests on the shared local stack keep to one (tests/conftest.py).
WORKERS ?= 2
PYTEST := TZ=UTC $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup
test: lint
	$(PYTEST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Just the fast tests (no local stack).
unit: install
	$(PYTEST) -m "not e2e"

## Benchmarks: ratios against baselines measured in the same run.
bench: install
	TZ=UTC $(BIN)/python -m bench

## Print a staff token for the local stack: make token ROLE=admin
token: install
	@$(BIN)/python -m local.token --role $(ROLE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
