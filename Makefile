# One task runner for newcomers and CI alike: `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck migrations-check pytest migrate demo bench clean

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

## test: ruff, mypy, the models-vs-migrations check and the whole pytest suite
test: lint typecheck migrations-check pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# Fails when a model changed without a migration: upgrade a scratch database, then compare.
migrations-check: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export HANDWERKML_DATABASE_URL="sqlite+aiosqlite:///$$tmp/check.db" HANDWERKML_DATA_DIR="$$tmp" && \
	$(BIN)/alembic -c alembic.ini upgrade head && $(BIN)/alembic -c alembic.ini check

migrate: $(STAMP)
	$(BIN)/handwerkml migrate

demo: $(STAMP)
	$(BIN)/handwerkml demo --if-empty

## bench: the HTTP load benchmark (writes bench/results/*.json)
bench: $(STAMP)
	$(BIN)/python bench/api_load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
