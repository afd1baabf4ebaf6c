# The two commands: `make run` (local stack) and `make test` (the whole suite). Both set up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROLE ?= clerk

.PHONY: install run test lint unit bench token clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Start moto (Step Functions execution on), provision every resource, serve the app on :8000.
run: install
	$(BIN)/python -m local.stack

## Lint, type-check and run every test (unit, API under moto, end-to-end against a local stack).
test: lint
	TZ=UTC $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Just the fast tests (no local stack).
unit: install
	TZ=UTC $(BIN)/python -m pytest -m "not e2e"

## Benchmarks: ratios against baselines measured in the same run.
bench: install
	TZ=UTC $(BIN)/python -m bench

## Print a staff token for the local stack: make token ROLE=admin
token: install
	@$(BIN)/python -m local.token --role $(ROLE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
