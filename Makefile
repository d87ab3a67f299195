# Opora — two commands: `make run` (demo on SQLite) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint format messages check-messages test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed-run

## run: set up and serve the demo company on http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-run
	$(BIN)/opora migrate --noinput -v 0
	$(BIN)/opora collectstatic --noinput -v 0
	$(BIN)/opora seed_demo --base-url http://127.0.0.1:$(PORT)
	@echo ""
	@echo "  Opora: http://127.0.0.1:$(PORT)/   (Ctrl-C to stop)"
	@echo ""
	$(BIN)/opora serve --port $(PORT)

## test: lint, types, then the whole suite on SQLite and on PostgreSQL
test: $(VENV)/.installed-dev
	bash scripts/system-deps.sh
	$(MAKE) messages lint test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-dev
	OPORA_ENV=test $(BIN)/pytest -p no:cacheprovider

test-postgres: $(VENV)/.installed-dev
	@url=$$(bash scripts/pg-test-server.sh start) && \
	  OPORA_ENV=test DATABASE_URL=$$url $(BIN)/pytest -p no:cacheprovider; \
	  status=$$?; bash scripts/pg-test-server.sh stop; exit $$status

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	OPORA_ENV=test $(BIN)/mypy
	OPORA_ENV=test $(BIN)/opora check --fail-level WARNING
	OPORA_ENV=test $(BIN)/opora makemigrations --check --dry-run -v 1

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: extract strings into locale/*/django.po and compile them (needs gettext)
messages: $(VENV)/.installed-run
	cd opora && ../$(BIN)/opora compilemessages -v 0

makemessages: $(VENV)/.installed-run
	cd opora && ../$(BIN)/opora makemessages -l ru -l en --no-obsolete --no-location -v 0

bench: $(VENV)/.installed-dev
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/bench_*.py; do $(BIN)/python $$b; done || echo "no benchmarks yet"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
