# Every target runs inside the project's virtualenv, which `make install` creates.
VENV   ?= .venv
PY     := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
FLASK  := $(VENV)/bin/flask --app 'services.crm.entrypoints.api.app:wsgi()'

.DEFAULT_GOAL := help
.PHONY: help install migrate run demo test test-unit test-integration test-e2e lint format bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install pinned dependencies

migrate: install ## Create the database if needed and migrate every service's schema
	$(PY) -m shared.migrations

run: migrate ## Migrate, load demo data, start every service (Ctrl-C stops them all)
	@$(FLASK) load-demo > .demo-token
	@echo "CRM API:      $${API_URL:-http://127.0.0.1:8000}   (docs at /docs, spec at /openapi.json)"
	@echo "Admin token:  $$(cat .demo-token)"
	@echo "Try:          curl -H \"Authorization: Bearer $$(cat .demo-token)\" $${API_URL:-http://127.0.0.1:8000}/api/leads"
	$(VENV)/bin/honcho start -f Procfile

test: install ## Unit, integration and end-to-end tests (real PostgreSQL, RabbitMQ, Redis)
	$(PY) -m pytest tests

test-unit: install ## Unit tests only
	$(PY) -m pytest tests/unit

test-integration: install ## Integration tests only
	$(PY) -m pytest tests/integration

test-e2e: install ## End-to-end tests that start the real processes
	$(PY) -m pytest tests/e2e

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## Benchmarks (not part of the tests); prints the figures
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info .demo-token
