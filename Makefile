# Two entry points: `make demo` (set up, run the main job) and `make test` (set up, run all checks).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup browser lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) browser

# Debian's chromium for the browser tests (tests/web); never a downloaded browser build.
browser:
	sh scripts/install-browser.sh

demo: $(STAMP)
	$(BIN)/deconflict detect examples/traffic.csv --summary

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) browser lint typecheck
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/separation.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
