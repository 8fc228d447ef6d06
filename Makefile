# Two entry points: `make demo` (set up, run the main job) and `make test` (set up, run all checks).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup browser taky dump1090 asterix-samples lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) browser taky dump1090 asterix-samples

# Debian's chromium for the browser tests (tests/web); never a downloaded browser build.
browser:
	sh scripts/install-browser.sh

# taky, the CoT router the TAK tests talk to, in a virtual environment of its own (.venv-taky/).
taky:
	sh scripts/install-taky.sh

# Debian's dump1090-mutability, the Mode S decoder the feed tests run as a peer (network-only).
dump1090:
	sh scripts/install-dump1090.sh

# The ASTERIX captures a decoder package ships, for the feed tests (tests/data/asterix/shipped/).
asterix-samples: $(STAMP)
	PIP=$(BIN)/pip sh scripts/fetch-asterix-samples.sh

# The main job: the service playing an incident live on a fresh SQLite file; one login URL
# per party is printed (open two side by side). Ctrl-C stops it.
demo: $(STAMP)
	$(BIN)/deconflict serve --demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) browser taky dump1090 asterix-samples lint typecheck
	$(BIN)/pytest

# Every benchmark in bench/ (minutes; results go in docs/benchmarks.md).
bench: $(STAMP) browser dump1090
	$(BIN)/python bench/separation.py
	$(BIN)/python bench/live.py
	$(BIN)/python bench/zones.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/service.py --rate 1000
	$(BIN)/python bench/service.py --rate 10000
	$(BIN)/python bench/alert_flood.py --hostile 5000
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/map.py

clean:
	rm -rf $(VENV) .venv-taky build dist .pytest_cache .mypy_cache .ruff_cache
