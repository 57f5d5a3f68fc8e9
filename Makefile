# Two commands set everything up on a machine with Python 3.11+ and make:
#   make lab    create the virtual environment, install, start JupyterLab on the curriculum
#   make test   create the virtual environment, install, run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Generated data lives inside the checkout (ignored by git) unless the caller chose a folder.
export EBPMKIT_DATA_DIR ?= $(CURDIR)/synthetic/data
# Lessons and tests never need the network; keep matplotlib's cache inside the venv.
export MPLCONFIGDIR ?= $(CURDIR)/$(VENV)/mplconfig
# Learners' progress lives in ~/.ebpmkit; running the notebooks here must not touch the
# developer's own, so make keeps it inside the virtual environment.
export EBPMKIT_PROGRESS_DIR ?= $(CURDIR)/$(VENV)/progress

.PHONY: install lab test lint bench dictionary clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ebpmkit needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/ebpmkit lab

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Exercises run as handed out (every check says "not answered", nothing stops); solutions run
# in strict mode (EBPMKIT_STRICT=1), where any answer that is not correct raises.
test: lint
	$(BIN)/ebpmkit build --check
	EBPMKIT_STRICT=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax solutions
	$(BIN)/python -m pytest -n 2 --dist loadfile --doctest-modules --nbval-lax ebpmkit tests notebooks exercises

bench: install
	$(BIN)/python bench/run_all.py

dictionary: install
	$(BIN)/python -c "from ebpmkit.synth.dictionary import write_readme; write_readme()"

clean:
	rm -rf $(VENV) synthetic/data .pytest_cache .ruff_cache
