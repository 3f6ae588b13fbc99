# Two commands for a fresh machine with Python 3.11+ and make:
#   make lab   - set up, build the sample database if missing, open JupyterLab on notebooks/
#   make test  - the same set-up, then every test
PYTHON ?= python3
VENV ?= .venv
# Everything this repository uses (JupyterLab, PNG copies, the notebooks' packages, the tests);
# EXTRAS adds more: make test EXTRAS=postgresql,browser
REPO_EXTRAS := lab,png,notebooks,test
EXTRAS ?=
COMMA := ,
ALL_EXTRAS := $(REPO_EXTRAS)$(if $(EXTRAS),$(COMMA)$(EXTRAS))
PY := $(VENV)/bin/python
SAMPLE_DB := data/blog.sqlite3

.PHONY: lab test install sample-data clean notebooks test-django42

# $(call make_venv,DIR): a virtual environment in DIR with an up-to-date pip.
define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
endef

$(VENV)/.installed-$(ALL_EXTRAS): pyproject.toml
	$(call make_venv,$(VENV))
	$(PY) -m pip install --quiet -e '.[$(ALL_EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(VENV)/.installed-$(ALL_EXTRAS)

# Only the default SQLite database is built here; with DATABASE_URL set, seed it yourself:
#   .venv/bin/python -m sample_app.seed --scale small
# Rebuilt when a migration is newer than it (a new table, e.g. the daily app's).
$(SAMPLE_DB): $(wildcard sample_app/*/migrations/0*.py) | install
	env -u DATABASE_URL $(PY) -m sample_app.seed --scale small

sample-data: $(SAMPLE_DB)

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install $(SAMPLE_DB)
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) notebooks/

test: install $(SAMPLE_DB)
	$(PY) -m pytest $(PYTEST_ARGS)

# The kit's own tests on Django 4.2 LTS, in a second virtual environment (.venv stays on 5.2):
# not the notebooks' (their committed outputs are Django 5.2's, and django-debug-toolbar 8
# needs 5.2) nor the browser's. The sample app's packages from the notebooks extra come by
# name (tests/test_packaging.py checks they are the same).
VENV42 ?= .venv-django42
DJANGO42 := Django>=4.2,<5.0
SAMPLE_APP_PACKAGES := djangorestframework>=3.15 dj-database-url>=2.1 django-extensions>=3.2
DJANGO42_EXTRAS := test,png$(if $(EXTRAS),$(COMMA)$(EXTRAS))

$(VENV42)/.installed-$(DJANGO42_EXTRAS): pyproject.toml
	$(call make_venv,$(VENV42))
	$(VENV42)/bin/python -m pip install --quiet -e '.[$(DJANGO42_EXTRAS)]' '$(DJANGO42)' $(foreach p,$(SAMPLE_APP_PACKAGES),'$(p)')
	rm -f $(VENV42)/.installed-*
	touch $@

test-django42: $(VENV42)/.installed-$(DJANGO42_EXTRAS)
	$(VENV42)/bin/python -m pytest -m 'not notebook and not browser' $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(VENV42) $(SAMPLE_DB) .pytest_cache

# Re-execute every notebook in place on the default sample database, outputs included.
notebooks: install $(SAMPLE_DB)
	cd notebooks && env -u DATABASE_URL ../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace *.ipynb
