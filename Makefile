# Zhuli CRM — the two commands are `make demo` and `make test` (README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
# pytest-xdist workers ("auto" = one per core).
TEST_WORKERS ?= auto
# Browser (Playwright + Debian chromium) tests run only when ZHULI_BROWSER_TESTS=1 (.ci/run, PostgreSQL pass).
PYTEST_MARKERS := $(if $(filter 1,$(ZHULI_BROWSER_TESTS)),,-m "not browser")
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/zhuli_bench

.PHONY: help install demo dev test lint bench clean

help:
	@echo "make demo   set up on a fresh machine (venv, install, SQLite under var/, demo account) and serve on http://127.0.0.1:\$${PORT:-8000}"
	@echo "make test   the whole suite (pytest -n $(TEST_WORKERS)), ruff, makemigrations --check; honours DATABASE_URL"
	@echo "make dev    runserver with autoreload + the worker (local settings)"
	@echo "make lint   ruff check"
	@echo "make bench  customer-list, board and funnel benchmarks on PostgreSQL with the large demo (DATABASE_URL or $(BENCH_DATABASE_URL))"

install:
	@scripts/venv.sh dev

demo:
	@scripts/demo.sh prod

dev:
	@scripts/demo.sh dev

# All three checks run; the target fails if any did.
test: install
	@mkdir -p var/static  # whitenoise warns on every test request when STATIC_ROOT is missing
	@status=0; \
	echo "== pytest"; $(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_MARKERS) $(PYTEST_ARGS) || status=1; \
	echo "== ruff check"; $(VENV)/bin/ruff check . || status=1; \
	echo "== makemigrations --check"; \
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run || status=1; \
	exit $$status

lint: install
	$(VENV)/bin/ruff check .

bench: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/customers_list.py $(BENCH_ARGS)
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/pipeline.py
	$(PY) bench/readers_and_text.py

clean:
	rm -rf var/static var/test-media .pytest_cache .ruff_cache
