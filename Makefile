# One task runner for newcomers and CI alike: `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck migrations-check pytest migrate demo bench clean constraints system-packages

# constraints.txt pins every package to the versions the suite last passed with, so a new
# release upstream cannot break a fresh machine or CI overnight.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## constraints: re-resolve the newest versions and pin them (then run make test)
constraints:
	rm -rf $(VENV).resolve
	$(PYTHON) -m venv $(VENV).resolve
	$(VENV).resolve/bin/pip install --quiet -e '.[dev]'
	{ echo "# Versions the tests last passed with; \`make\` installs within them. Refresh: make constraints"; \
	  $(VENV).resolve/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf $(VENV).resolve

## run: install, prepare the embedding model, migrate ./var/handwerkml.db, load demo data
## if empty, serve on :8000
run: $(STAMP) system-packages
	$(BIN)/handwerkml embeddings prepare
	$(BIN)/handwerkml migrate
	$(BIN)/handwerkml demo --if-empty
	$(BIN)/handwerkml serve

## test: ruff, mypy, the models-vs-migrations check and the whole pytest suite
test: system-packages lint typecheck migrations-check pytest

## system-packages: Tesseract OCR (German, English) and fonts, from Debian, when missing
system-packages:
	bash scripts/install-system-packages.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Two processes (pytest-xdist): the suite waits on subprocesses, servers and sleeps as much
# as it computes, so two workers take 8 minutes where one takes 12 on two cores.
PYTEST_WORKERS ?= 2

pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS)

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
