# One task runner for newcomers and CI alike: `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest migrate demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install, migrate ./var/handwerkml.db, load demo data if empty, serve on :8000
run: $(STAMP)
	$(BIN)/handwerkml migrate
	$(BIN)/handwerkml demo --if-empty
	$(BIN)/handwerkml serve

## test: ruff, mypy and the whole pytest suite
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

migrate: $(STAMP)
	$(BIN)/handwerkml migrate

demo: $(STAMP)
	$(BIN)/handwerkml demo --if-empty

## bench: the HTTP load benchmark (writes bench/results/*.json)
bench: $(STAMP)
	$(BIN)/python bench/api_load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
