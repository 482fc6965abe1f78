# Two commands a new user needs: `make run` and `make test` (CI: `make test-all`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install bytecode run test test-all lint bench clean

install: $(STAMP) bytecode

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# An editable install runs our modules from this folder, where Python writes no
# bytecode when PYTHONDONTWRITEBYTECODE is set (as on the project's machines):
# every `digest` process then compiled its 40 modules again, 0.11 s of its start
# (bench/README.md, "Bytecode for an editable install"). Compiled here instead;
# a file changed since is compiled again by the next make (only that file).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q digest digest_flows

run: bytecode
	$(BIN)/digest run

lint: $(STAMP)
	$(BIN)/ruff check digest digest_flows tests bench
	$(BIN)/mypy

# The quick suite (about a minute): every library test, no Prefect server.
test: lint bytecode
	$(BIN)/pytest -q -m "not slow"

# Everything, end-to-end tests included (Prefect flows, kills, installs): what CI runs.
test-all: lint bytecode
	$(BIN)/pytest -q

bench: bytecode
	$(BIN)/python bench/pipeline.py ../shared/data

clean:
	rm -rf $(VENV) out data .pytest_cache .mypy_cache .ruff_cache
