# The README's two commands: `make plan` (offline plan of a stack) and `make test`.
# Needs only Python 3.11+, pip, make and git: uv (pinned) is bootstrapped with pip into .uv/, and every
# install comes from the committed uv.lock (`--locked` fails if pyproject.toml and the lock disagree).
PYTHON     ?= python3
UV_VERSION := 0.13.9
UV         := .uv/bin/uv
UV_STAMP   := .uv/uv-$(UV_VERSION).dist-info
VENV       := .venv
BIN        := $(VENV)/bin
STACK      ?= dev

# The venv `pulumi install` makes too (Pulumi.yaml: toolchain uv, virtualenv .venv), on the given Python.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
# uv installs no bytecode (compiling all ~11,500 files costs far more than a plan imports): the first run
# writes the bytecode of what it imports, once. Without this, a machine that sets PYTHONDONTWRITEBYTECODE
# would compile those modules again on every run.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install plan test lint bench bench-fresh lock clean

$(UV_STAMP):
	rm -rf .uv
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target .uv uv==$(UV_VERSION)

# The runtime dependencies; --inexact keeps the test group where it is installed.
$(VENV)/.synced-runtime: $(UV_STAMP) pyproject.toml uv.lock
	$(UV) sync --locked --inexact --quiet
	touch $@

# Plus the test group (pytest, ruff, the REST models, actionlint).
$(VENV)/.synced-test: $(VENV)/.synced-runtime
	$(UV) sync --locked --inexact --quiet --group test
	touch $@

# What a deploy needs: the program, the plan, the policy pack, preflight and smoke (`pulumi install` installs the same).
install: $(VENV)/.synced-runtime

plan: install
	$(BIN)/llama-on-azure plan --stack $(STACK)

lint: $(VENV)/.synced-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

# Speed as ratios measured in one run; `make bench ARGS=--all` adds make test and a fresh clone's first plan.
bench: install
	$(BIN)/python benchmarks/bench.py $(ARGS)

# `make test` on a fresh clone of HEAD, first run included, then a warm one: the figures of the Speed section.
bench-fresh:
	$(PYTHON) benchmarks/fresh_test.py $(ARGS)

# After changing the dependencies in pyproject.toml: re-resolve, then commit uv.lock with it.
lock: $(UV_STAMP)
	$(UV) lock

clean:
	rm -rf $(VENV) .uv .pytest_cache .ruff_cache *.egg-info
