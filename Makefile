# The two commands a newcomer needs: `make dev` (run it) and `make test` (test it).
# Each sets itself up: virtualenv, pinned packages, services. Python 3.11 is the only
# thing the machine must have.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: dev test demo lint schema clean

$(STAMP): requirements.txt requirements-dev.txt setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	touch $(STAMP)

dev: $(STAMP)  ## the whole local stack and dagster dev on http://127.0.0.1:3000
	$(PY) -m pms_pipelines.local_stack dev

test: $(STAMP)  ## unit and integration tests against the real local stack
	$(PY) -m pytest

demo: $(STAMP)  ## headless: pull every agency, consume, print row counts, tear down
	$(PY) -m pms_pipelines.local_stack demo

lint: $(STAMP)
	$(VENV)/bin/ruff check pms_pipelines pms_pipelines_tests

schema: $(STAMP)  ## regenerate the canonical event JSON Schema after a model change
	$(PY) -m pms_pipelines.canonical.json_schema

clean:
	rm -rf $(VENV) .dagster_home .local_stack
