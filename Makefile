# The two commands a new user needs: `make run` and `make test`.
# Each sets itself up from nothing: a fresh clone with Python 3.11+ is enough.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint typecheck unit browser clean

$(VENV)/.run-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

# Builds the app when it is missing or stale, starts the server (API and app on
# one address) with a demo municipality in an empty database, and prints the
# address a phone opens and the demo logins. Options: make run ARGS='--port 8001'
run: $(VENV)/.run-installed
	$(VENV)/bin/timeliste run $(ARGS)

# Debian's Chromium for the browser tests; Playwright's own browser download
# cannot work offline, so we never ask for it.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and we are not root: the browser tests will be skipped"; fi

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(VENV)/bin/mypy --strict models sync server timeliste mobile webapp

test: $(VENV)/.dev-installed chromium lint typecheck
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
