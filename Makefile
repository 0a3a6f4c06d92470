# The two commands a newcomer needs: `make dev` (run it) and `make test` (test it).
# Each sets itself up: virtualenv, pinned packages, services. Python 3.11 is the only
# thing the machine must have.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# checkov pins its own dependency set (boto3 among them), so it lives in its own venv.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp
# dlt (figure 9's baseline) and the profilers pin their own set, so they get their own venv.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp

.PHONY: dev test demo lint schema checkov clean bench loc kinesalite chromium reliability-report

# kinesalite (npm): a Kinesis that closes shards faithfully, for the resharding tests.
# Installed once into the venv folder; without Node the rule says so and those tests skip.
KINESALITE := $(VENV)/kinesalite/node_modules/.bin/kinesalite

$(STAMP): requirements.txt requirements-local.txt requirements-dev.txt setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

$(BENCH_STAMP): bench/requirements-dlt.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements-dlt.txt
	touch $(BENCH_STAMP)

dev: $(STAMP)  ## the whole local stack and dagster dev on http://127.0.0.1:3000
	$(PY) -m pms_pipelines.local_stack dev

test: $(STAMP) $(CHECKOV_STAMP) kinesalite chromium  ## unit and integration tests against the real local stack
	$(PY) -m pytest

kinesalite: $(STAMP)  ## install kinesalite for the resharding tests (quick once done)
	@if [ -x $(KINESALITE) ]; then :; \
	elif command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then \
		npm install --prefix $(VENV)/kinesalite --no-audit --no-fund --silent kinesalite@3; \
	else echo "node/npm not found: the kinesalite resharding tests will be skipped"; fi

# Debian's chromium and chromedriver for the browser test of the Dagster UI
# (pms_pipelines_tests/browser), and a colour emoji font for the health view's 🔴🟡🟢
# in its screenshots. Installed with apt-get when root; else that test skips.
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
chromium:  ## install headless Chromium for the browser test (quick once done)
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
		&& [ -e $(EMOJI_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium, chromium-driver and an emoji font for the browser test"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver fonts-noto-color-emoji >/dev/null; } \
		|| echo "apt-get could not install chromium: the browser test will be skipped"; \
	else echo "chromium/chromedriver not found and not root with apt-get: the browser test will be skipped"; fi

reliability-report: $(STAMP) kinesalite  ## run the fault, bad-input and security scenarios; print their figures
	$(PY) -m pms_pipelines_tests.reliability.report

demo: $(STAMP)  ## headless: pull every agency, consume, print row counts, tear down
	$(PY) -m pms_pipelines.local_stack demo

bench: $(STAMP) $(BENCH_STAMP)  ## the ten benchmarks of docs/benchmarks.md at full size, throughput figures x3 (~15 min on 2 cores)
	$(PY) -m bench $(BENCH_ARGS)

loc: $(STAMP)  ## what an integration costs: lines per PMS (integration, sandbox) and the shared kit
	$(PY) -m bench.loc

lint: $(STAMP)
	$(VENV)/bin/ruff check pms_pipelines pms_pipelines_tests

schema: $(STAMP)  ## regenerate the canonical event JSON Schema after a model change
	$(PY) -m pms_pipelines.canonical.json_schema

checkov: $(CHECKOV_STAMP)  ## static security checks of terraform/ (also run by make test)
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --skip-download --quiet --compact

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .venv-bench .dagster_home .local_stack .browser_screenshots
