# Two commands a new user needs: `make run` and `make test` (CI: `make test-all`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-all lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/digest run

lint: $(STAMP)
	$(BIN)/ruff check digest digest_flows tests bench
	$(BIN)/mypy

# The quick suite (about a minute): every library test, no Prefect server.
test: lint
	$(BIN)/pytest -q -m "not slow"

# Everything, end-to-end tests included (Prefect flows, kills, installs): what CI runs.
test-all: lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py ../shared/data

clean:
	rm -rf $(VENV) out data .pytest_cache .mypy_cache .ruff_cache
