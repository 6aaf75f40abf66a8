# Everything a fresh machine with Python 3.11+ and make needs: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test check lint types contracts bench clean lock

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The lock pins every dependency; the project itself installs editable without re-resolving.
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kiosk demo

# The suite runs on every core (pytest-xdist; at most 4 workers, each PostgreSQL test has its own schema).
# worksteal: an idle worker takes queued tests from a busy one, so a few long tests do not leave a core idle;
# the 20 slowest tests are listed at the end, to keep an eye on the suite's time.
# Bytecode: where PYTHONDONTWRITEBYTECODE is set (this project's machines set it), nothing is cached and
# every one of the suite's hundreds of `kiosk` processes compiled the whole package again (~0.2 s each):
# compile once, and let the run keep what it compiles (the test modules, pytest's rewritten asserts).
# One worker more than the cores: many tests wait on a subprocess, a pty or a socket, and a third
# worker fills those waits (2 cores: 11 min 51 s with 3 workers against 14 min 37 s with 2, same tree).
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(min(4, (os.cpu_count() or 1) + 1))")
test: $(STAMP)
	$(BIN)/python -m compileall -q kiosk drivers simulator bench tests > /dev/null
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal --durations=20

lint: $(STAMP)
	$(BIN)/ruff check kiosk drivers simulator tests bench
	$(BIN)/ruff format --check kiosk drivers simulator tests bench

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

check: lint types contracts test

bench: $(STAMP)
	$(BIN)/kiosk bench --quick

# Re-resolve the lock after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
