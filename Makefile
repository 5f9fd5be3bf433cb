# The till's everyday commands. Every target creates and uses the local virtual
# environment in .venv, so a fresh machine needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the till in demo mode: own data directory, seeded members, simulated scanner.
demo: $(STAMP)
	$(BIN)/pos-client demo

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

## Format check, lint and strict typing of the headless packages.
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Benchmarks: print figures (see docs/PERFORMANCE.md).
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
