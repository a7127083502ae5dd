# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev load-sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per extra so `make test` after `make run` installs only what is missing. The editable install maps
# the packages that exist when it runs, so adding a package (a new __init__.py) reinstalls.
PACKAGES = $(wildcard */__init__.py)

$(VENV)/.installed: pyproject.toml $(PACKAGES) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(PACKAGES) $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# axe-core for the accessibility tests (tests/browser/test_accessibility.py injects it into each page), pinned by
# package-lock.json; npm ci installs exactly that into node_modules/ (git-ignored). Nothing from npm is served.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.package-lock.json

load-sample: install
	$(BIN)/carecalc db init
	$(BIN)/carecalc sample load

run: load-sample
	$(BIN)/carecalc serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium; this installs it when missing (as root, as in CI) or says how.
test: install-dev
	tests/browser/ensure-chromium
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance build *.egg-info node_modules
