# funnelkit: every target sets up .venv on first use. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv installs the lock in seconds; INSTALLER=pip uses plain pip instead.
INSTALLER ?= uv
UV_VERSION := 0.13.9
PARAMS ?= params/example.yaml
READY := $(VENV)/.installed
# Spark (the `spark` extra) for the tests that run the measures on it; `make plan` needs none
SPARK_READY := $(VENV)/.installed-spark

.DEFAULT_GOAL := help
.PHONY: help setup plan plan-text reports test test-fast lint typecheck bench sample lock clean-notebooks clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(READY): requirements.lock pyproject.toml
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' failed; on Debian run: apt-get install python3-venv" >&2; exit 1; }; \
	fi
ifeq ($(INSTALLER),uv)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
else ifeq ($(INSTALLER),pip)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
else
	$(error INSTALLER must be 'uv' or 'pip' (got '$(INSTALLER)'))
endif
	@# bytecode for every installed module, so imports are fast even where the environment
	@# sets PYTHONDONTWRITEBYTECODE (pandas alone: about 2 s to compile on each start)
	$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))') >/dev/null
	@touch $@

$(SPARK_READY): requirements-spark.lock $(READY)
ifeq ($(INSTALLER),uv)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-spark.lock
else
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
endif
	@touch $@

setup: $(READY) ## create .venv and install the locked dependencies

plan: $(READY) ## render the default quarterly plan to reports/<plan>/ (PARAMS=params/example.yaml)
	$(BIN)/funnelkit render $(PARAMS)

plan-text: $(READY) ## print the default plan's targets as tables in the terminal
	$(BIN)/funnelkit plan $(PARAMS)

reports: $(READY) ## render every plan in params/ (several notebooks at once)
	$(BIN)/funnelkit render params/*.yaml

test: $(READY) $(SPARK_READY) ## run the linter, the type checker and the whole test suite (browser and notebooks too)
	$(BIN)/ruff check funnelkit tests benchmarks
	$(BIN)/ruff format --check funnelkit tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: $(READY) ## run every test but the browser, notebook, render and slow ones (well under a minute)
	@# two workers; nbval's plugin is left out (nothing here runs a notebook), so the addopts
	@# that configure it are replaced: keep them in step with pyproject.toml
	$(BIN)/pytest tests -n 2 --dist worksteal -p no:nbval -o addopts="-ra --strict-markers" \
	  -m "not browser and not notebooks and not render and not slow and not spark"

lint: $(READY) ## check style with ruff (lint rules and formatting)
	$(BIN)/ruff check funnelkit tests benchmarks
	$(BIN)/ruff format --check funnelkit tests benchmarks

typecheck: $(READY) ## check the package's types with mypy (configured in pyproject.toml)
	$(BIN)/mypy

bench: $(READY) ## run the benchmarks and print medians (the first run generates 1M leads)
	$(BIN)/python benchmarks/bench_plan.py
	$(BIN)/python benchmarks/bench_mix.py
	$(BIN)/python benchmarks/bench_bridge.py
	$(BIN)/python benchmarks/bench_actuals.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_backtest.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_browser.py

sample: $(READY) ## regenerate data/sample/hubspot-contacts.csv from its seed
	$(BIN)/python -m funnelkit.crm.sample

lock: $(READY) ## re-resolve requirements.lock from pyproject.toml (then update environment.yml)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --no-header -o requirements.lock
	@# the spark extra alone, at versions that agree with the main lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --universal --python-version 3.11 \
	  --no-header --constraint requirements.lock -o requirements-spark.lock

clean-notebooks: $(READY) ## strip outputs and execution counts from notebooks/ before committing
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

clean: ## remove .venv and caches
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
