# The two commands: `make run` (local stack) and `make test` (the whole suite). Both set up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROLE ?= clerk

.PHONY: install run load test lint unit fuzz bench token clean synth bootstrap deploy

# The CDK's Python packages (infra/requirements.txt) run their JavaScript in Node.js; the browser tests
# (tests/web) drive Debian's Chromium, with Chinese fonts, and load axe-core (package.json) into the pages:
# each installed when missing.
$(STAMP): requirements.txt requirements-dev.txt infra/requirements.txt package.json package-lock.json
	@command -v node >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	@test -x /usr/bin/chromium && test -d /usr/share/fonts/opentype/noto || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -r infra/requirements.txt
	npm ci --no-audit --no-fund --silent
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
# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): without it every worker
# and every stack it starts compiles again, and pytest rewrites ~300 modules' asserts again (~2.5 s a worker).
PYTEST := TZ=UTC PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup
test: lint
	$(PYTEST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Just the fast tests (no local stack).
unit: install
	$(PYTEST) -m "not e2e"

## The deep fuzz of the API against a local stack: schemathesis's coverage phase (every boundary and negative
## value of every field) and 100 generated requests an operation (make test runs 10 and no coverage phase).
fuzz: install
	FUZZ=full TZ=UTC $(BIN)/python -m pytest -p no:cacheprovider tests/e2e/test_schemathesis.py

## Benchmarks: ratios against baselines measured in the same run.
bench: install
	TZ=UTC $(BIN)/python -m bench

## Print a staff token for the local stack: make token ROLE=admin
token: install
	@$(BIN)/python -m local.token --role $(ROLE)

## The deployment (docs/deploy.md). `make synth`: every stage's CloudFormation into infra/cdk.out, offline
## (no AWS account or credentials), cdk-nag checking as it builds. `make deploy STAGE=dev` deploys what synth
## wrote, with the account's credentials, through the pinned CDK CLI (npm); `make bootstrap` once per account
## and region before the first deploy.
STAGE ?= dev
CDK := npx --yes aws-cdk@2.1148.1
# jsii warns on every run that Node.js 18/20 are past their end of life (docs/deploy.md says so once)
CDK_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=18,20
synth: install
	rm -rf infra/cdk.out infra/chalice.out
	cd infra && $(CDK_ENV) ../$(BIN)/python app.py

bootstrap: install
	cd infra && $(CDK_ENV) $(CDK) bootstrap

deploy: synth
	cd infra && $(CDK_ENV) $(CDK) deploy --app cdk.out $(STAGE) --require-approval broadening

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache infra/cdk.out infra/chalice.out
