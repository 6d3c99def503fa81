# warroom: `make run` sets up and shows the demo incident; `make test` runs every test.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := .demo
DEMO_STAMP := $(DEMO)/.generated
export WARROOM_DATABASE_URL ?= sqlite:///warroom.db

.PHONY: run test bench lint install demo clean docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,spark,bench]"
	touch $(STAMP)

install: $(STAMP)

$(DEMO_STAMP): $(STAMP) examples/generate_demo.py
	$(BIN)/python examples/generate_demo.py --out $(DEMO)
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)

run: demo
	$(BIN)/warroom init
	$(BIN)/warroom incident show INC-2025-1108-001 >/dev/null 2>&1 || \
		$(BIN)/warroom incident import $(DEMO)/incident.yaml
	$(BIN)/warroom incident show INC-2025-1108-001

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/impact_bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(DEMO) warroom.db test-artifacts

docs: $(STAMP)
	$(BIN)/python -m typer warroom.cli.app utils docs --name warroom --output docs/cli.md
