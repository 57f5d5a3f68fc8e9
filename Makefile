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

.PHONY: install lab test lint lock smoke-lowest golden bench dictionary clean

# Every package, direct and transitive, comes from the committed lock at an exact version with
# its hashes; the lock covers Python 3.11 to 3.13 (one resolution, markers where they differ).
LOCK    := requirements/lock.txt
UV_LOCK := requirements/uv.txt
UV      := $(BIN)/uv
# The lowest versions pyproject.toml allows, for the smoke step that keeps the bounds honest.
LOWEST  := .venv-lowest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ebpmkit needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)

# uv itself is bootstrapped with pip from a hash-checked file; after that the lock manages it.
$(UV): $(UV_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(UV_LOCK)
	touch $(UV)

# sync makes the environment exactly the lock (removing anything else); the project itself is
# then installed editable, built by the locked setuptools. JupyterLab's settings for this
# environment come from ebpmkit/jupyterlab/overrides.json: menus in Japanese, and no news or
# update checks from the internet (training rooms are often on closed networks).
$(STAMP): $(LOCK) pyproject.toml ebpmkit/jupyterlab/overrides.json $(UV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp ebpmkit/jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

install: $(STAMP)

# Refresh the lock on purpose (new dependency, security fix, newer versions): then run
# `make test` and commit requirements/ with a message that says why.
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra test --group pyproject.toml:dev --universal \
		--fork-strategy fewest --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" --quiet -o $(LOCK)
	echo "uv==$$(sed -n 's/^uv==\([^ ]*\).*/\1/p' $(LOCK))" | $(UV) pip compile - --universal \
		--python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet -o $(UV_LOCK)

# Install the lowest versions of the direct dependencies that pyproject.toml allows and run the
# smoke set there: every profile loads, lesson 00 and exercise 00 run, exercise 00 is graded.
smoke-lowest: $(UV)
	rm -rf $(LOWEST)
	$(UV) venv --quiet --python $(BIN)/python $(LOWEST)
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e ".[test]"
	EBPMKIT_DATA_DIR=$(CURDIR)/$(LOWEST)/data $(LOWEST)/bin/python -m pytest -p no:cacheprovider \
		--nbval-lax tests/test_smoke.py notebooks/00_orientation.ipynb exercises/00_practice.ipynb

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

# Rewrite the golden digests after a deliberate change to the generated data (bump
# GENERATOR_VERSION in ebpmkit/cache.py in the same commit).
golden: install
	$(BIN)/python -c "from ebpmkit.synth.digest import write_golden; write_golden('tests/golden/digests.json')"

dictionary: install
	$(BIN)/python -c "from ebpmkit.synth.dictionary import write_readme; write_readme()"

clean:
	rm -rf $(VENV) $(LOWEST) synthetic/data .pytest_cache .ruff_cache
