# Two commands for a newcomer: `make run` and `make test`. Everything else is here for them.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/postgres
export CELERY_BROKER_URL_TEST ?= redis://127.0.0.1:6379/15
# The benchmark's own database (created and migrated by `make bench`), apart from the test databases.
DATABASE_URL_BENCH ?= postgres://postgres@127.0.0.1:5432/bench_ledger

.PHONY: install run test lint format bench services browser clean messages lock audit

install: $(STAMP)

$(STAMP): pyproject.toml
	@set -e; PY=$$(scripts/find-python); echo "Using $$PY"; \
	  [ -x $(BIN)/python ] || $$PY -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --upgrade pip; \
	  $(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	@scripts/run

services:
	@scripts/ensure-services

browser:
	@scripts/ensure-chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# Known vulnerabilities in the pinned dependencies (pip-audit; needs the PyPI vulnerability API). See docs/security.md.
audit: install
	@scripts/audit

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install services browser lint
	DATABASE_URL=$(DATABASE_URL_TEST) CELERY_BROKER_URL=$(CELERY_BROKER_URL_TEST) \
	  $(BIN)/pytest $(PYTEST_ARGS)
	# The newcomer's flows again on SQLite, the database `make run` serves (tests marked `sqlite`).
	DJANGO_SETTINGS_MODULE=autopay_erp.settings.test_sqlite CELERY_BROKER_URL=$(CELERY_BROKER_URL_TEST) \
	  $(BIN)/pytest -m sqlite $(PYTEST_ARGS)

bench: install services
	@psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'bench_ledger'" \
	  | grep -q 1 || createdb -h 127.0.0.1 -U postgres bench_ledger
	DATABASE_URL=$(DATABASE_URL_BENCH) DJANGO_SETTINGS_MODULE=autopay_erp.settings.local \
	  $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(DATABASE_URL_BENCH) DJANGO_SETTINGS_MODULE=autopay_erp.settings.local \
	  $(BIN)/python manage.py bench ledger --size 10000 --json var/bench-ledger-10000.json
	DATABASE_URL=$(DATABASE_URL_BENCH) DJANGO_SETTINGS_MODULE=autopay_erp.settings.local \
	  $(BIN)/python manage.py bench ledger --size 100000 --json var/bench-ledger-100000.json
	DATABASE_URL=$(DATABASE_URL_BENCH) DJANGO_SETTINGS_MODULE=autopay_erp.settings.local \
	  $(BIN)/python manage.py bench incoming --size 100000 --json var/bench-incoming-100000.json
	DATABASE_URL=$(DATABASE_URL_BENCH) DJANGO_SETTINGS_MODULE=autopay_erp.settings.local \
	  $(BIN)/python manage.py bench settlement --size 10000 --json var/bench-settlement-10000.json
	DATABASE_URL=$(DATABASE_URL_BENCH) DJANGO_SETTINGS_MODULE=autopay_erp.settings.local \
	  $(BIN)/python manage.py bench settlement --size 100000 --json var/bench-settlement-100000.json

# Collect the translatable strings into the nearest catalogue (an app's own locale/ folder, else the project's
# locale/ for templates/) and compile every catalogue.
messages: install
	$(BIN)/python manage.py makemessages -l nb --no-obsolete -v 0 --ignore=.venv --ignore=var --ignore=tests
	@for po in locale/nb/LC_MESSAGES/django.po */locale/nb/LC_MESSAGES/django.po; do \
	  if [ -f "$$po" ]; then msgfmt --check-format -o "$${po%.po}.mo" "$$po"; fi; \
	done

# The image's lock file: every dependency of pyproject.toml (and the build backend), pinned, with hashes.
lock: install
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --generate-hashes --python-version 3.12 \
	  --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" -o requirements/production.txt

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
