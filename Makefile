# Two commands: `make demo` and `make test`. Both create .venv if missing and install.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean-demo screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sotekeskus demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/sotekeskus/domain

bench: $(STAMP)
	$(BIN)/python bench/access_report.py

clean-demo:
	rm -rf demo-data

screenshots: $(STAMP)
	SOTEKESKUS_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser
