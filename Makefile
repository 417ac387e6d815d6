# fusioncell: the two first commands of the README.
#   make demo   set up .venv if missing, then run the whole story on a simulated case
#   make test   set up .venv with the test extras (pyspark included), then run every test
#   make frontend  rebuild the browser workbench (frontend/ -> fusioncell/server/static; needs Node 20 + npm)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install install-test bench clean frontend

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP)

install: $(STAMP)
install-test: $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/fusioncell demo

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

# The built assets are committed, so `pip install` and `fusioncell serve` need no Node.
frontend:
	cd frontend && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) build *.egg-info demo-out
