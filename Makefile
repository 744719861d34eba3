# Two commands on a fresh machine with Python 3.11+ and make: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv from PATH when present, else a project-local copy bootstrapped with pip.
UV ?= $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export DAGSTER_HOME := $(CURDIR)/.local/dagster_home
# Installed packages are compiled to bytecode once, as in docker/Dockerfile: uv skips it by
# default, and where Python may not write .pyc files (PYTHONDONTWRITEBYTECODE) every process
# that loads the code location (run, sensor tick, UI reload) would recompile Dagster's sources,
# about 1 s of CPU each. The first install pays ~30 s for it; later ones only check.
export UV_COMPILE_BYTECODE ?= 1
export RETAIL_PLATFORM_STATE_DIR ?= $(CURDIR)/.local
SCALE ?= 1.0
SF ?= 1

.PHONY: help install demo dev test bench lint format stack-up stack-down stack-status clean \
	docker-build compose-up compose-down

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet uv

install: $(UV) ## Install the locked dependencies (with the local stand-ins' extra) into .venv
	$(UV) sync --locked --extra local
	@mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: install ## Start the local stack, materialize everything end to end, print KPIs, stop
	$(UV) run retail-platform demo --scale $(SCALE)

dev: install ## Local stack + `dagster dev` on http://127.0.0.1:3000, live data (Ctrl-C stops both)
	$(UV) run retail-platform dev --live --scale $(SCALE)

test: install ## Run the whole test suite
	$(UV) run pytest

bench: $(UV) ## Benchmark against DuckDB, pandas, PySpark at SF (default 1); writes docs/benchmarks.md
	$(UV) sync --locked --extra local --group bench
	.venv/bin/python -m benchmarks --scale-factor $(SF)

lint: install ## ruff check + format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: install ## Apply ruff formatting and fixes
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

stack-up: install ## Start the local stand-ins (S3, Snowflake, REST) in the background
	$(UV) run retail-platform stack up --scale $(SCALE)

stack-down: ## Stop the local stand-ins
	$(UV) run retail-platform stack down

stack-status: ## Show the local stand-ins
	$(UV) run retail-platform stack status

docker-build: ## Build the platform image from docker/Dockerfile (needs Docker)
	docker build -f docker/Dockerfile -t retail-platform:latest .

compose-up: ## Start the production-like stack (docker/compose.yaml; fill docker/.env first)
	docker compose -f docker/compose.yaml up --build -d

compose-down: ## Stop the docker compose stack (volumes are kept)
	docker compose -f docker/compose.yaml down

clean: stack-down ## Stop the stack and delete local data (lake, warehouse, Dagster history)
	rm -rf .local
