# Every target sets up its own virtualenv: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint typecheck demo bench reliability desk clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# ruff, then the layering contract (pyproject's [tool.importlinter]): no stage imports another.
lint: $(STAMP)
	$(BIN)/ruff check leadbatch tests bench scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy leadbatch

test: $(STAMP) lint
	$(BIN)/pytest -q -m "not slow" -n 2

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

# Full size (2,000-lead fault runs, 24 kills, a million-row CSV...); rewrites RELIABILITY.md.
reliability: $(STAMP)
	LEADBATCH_RELIABILITY=full $(BIN)/pytest -q tests/reliability

# The workbooks in a real spreadsheet application: installs LibreOffice headless where it is
# missing, opens every kind of workbook we write, counts a 400-row plan's pages, reads the
# values back; renders the plan Summary to docs/summary.png.
desk: $(STAMP)
	sh scripts/install-libreoffice.sh
	LEADBATCH_DESK_DOCS=1 $(BIN)/pytest -q -s -p no:xdist tests/desk

clean:
	rm -rf $(VENV) build *.egg-info demo_output
