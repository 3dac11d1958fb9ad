# One command to run the app, one to test it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on PostgreSQL and Redis, never silently on SQLite.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/medins
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL= TEST_REDIS_URL=$(TEST_REDIS_URL) \
	SECRET_KEY=test-only-secret-key-not-for-production DEBUG=0 HTTPS_ONLY=0
RUN_ENV := DEBUG=1
# The moved clock of `make test-moved-clock`: 5 January of next year, so that every run crosses a
# New Year from today (the product must work in a year its data and code were not written in).
MOVED_CLOCK ?= $(shell date -d "$$(date +%Y)-12-31 5 days" "+%Y-%m-%d 10:00:00")

.DEFAULT_GOAL := help
.PHONY: help venv run test test-moved-clock lint fmt typecheck migrations-check worker beat bench messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create or update the virtualenv

run: venv ## Set up SQLite with demo data and serve the app on http://127.0.0.1:8000/
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py load_demo_data --base-url http://$(HOST):$(PORT)
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: venv lint typecheck migrations-check ## Lint, type-check and run the whole suite on PostgreSQL and Redis
	$(TEST_ENV) $(PY) -m pytest

test-moved-clock: venv ## The whole suite again with the process's clock moved past next New Year (faketime)
	@command -v faketime >/dev/null || { echo "faketime is needed: apt-get install faketime"; exit 1; }
	@echo "== the suite with the clock moved to $(MOVED_CLOCK)"
	$(TEST_ENV) faketime "$(MOVED_CLOCK)" $(PY) -m pytest

lint: venv ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv ## Format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv ## mypy, strict, on the rules engine
	$(VENV)/bin/mypy

migrations-check: venv ## Fail if the models have changes without a migration
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

worker: venv ## Start a Celery worker (needs CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config worker --loglevel INFO

beat: venv ## Start the Celery beat scheduler (needs CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config beat --loglevel INFO

bench: venv ## Run the benchmarks and print their figures
	@for script in bench/[!_]*.py; do echo "== $$script"; $(TEST_ENV) $(PY) $$script || exit 1; done

messages: venv ## Update the catalogue (needs gettext), fill in the Chinese texts, compile
	$(RUN_ENV) $(PY) manage.py makemessages --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'tests/*'
	$(PY) locale/translate_zh.py

clean: ## Remove the virtualenv and the local SQLite database
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache
