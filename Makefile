# Two commands for a fresh machine with Python 3.11+ and make:
#   make lab   - set up, build the sample database if missing, open JupyterLab on notebooks/
#   make test  - the same set-up, then every test
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test
PY := $(VENV)/bin/python
SAMPLE_DB := data/blog.sqlite3

.PHONY: lab test install sample-data clean notebooks

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(VENV)/.installed-$(EXTRAS)

# Only the default SQLite database is built here; with DATABASE_URL set, seed it yourself:
#   .venv/bin/python -m sample_app.seed --scale small
$(SAMPLE_DB): | install
	env -u DATABASE_URL $(PY) -m sample_app.seed --scale small

sample-data: $(SAMPLE_DB)

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install $(SAMPLE_DB)
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) notebooks/

test: install $(SAMPLE_DB)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(SAMPLE_DB) .pytest_cache

# Re-execute every notebook in place on the default sample database, outputs included.
notebooks: install $(SAMPLE_DB)
	cd notebooks && env -u DATABASE_URL ../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace *.ipynb
