PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint bench bench-api bench-burst install install-dev clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/referee migrate --no-input
	PORT=$(PORT) $(BIN)/referee load_demo
	$(BIN)/referee serve --port $(PORT)

# pyflakes, isort, bugbear and pyupgrade ([tool.ruff] in pyproject.toml); `make test` runs it first.
lint: install-dev
	$(BIN)/ruff check .

# One pytest worker per core (TEST_WORKERS=0: none); tests/conftest.py runs tests/live/ on one of them.
TEST_WORKERS ?= auto

test: lint
	@url=$$($(BIN)/python scripts/test_database.py) || exit 1; \
	DATABASE_URL="$$url" $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$status

bench: install-dev
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.bench_diversity
	$(BIN)/python -m bench.bench_randomized

bench-api: install-dev
	$(BIN)/python -m bench.bench_api

# Against a running `make run` (another terminal): 8 clients in a mixed write burst for 2 minutes.
bench-burst: install-dev
	PORT=$(PORT) $(BIN)/python -m bench.bench_burst

clean:
	rm -rf $(VENV) var
