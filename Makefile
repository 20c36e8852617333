# Every target runs inside the project's virtualenv, which `make install` creates.
VENV   ?= .venv
PY     := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
FLASK  := $(VENV)/bin/flask --app 'services.crm.entrypoints.api.app:wsgi()'
# The services connect as crm_app, which may only read and write rows; migrations run as
# the owner, which creates crm_app if needed and grants it exactly that (shared/migrations.py).
export DATABASE_URL ?= postgresql+psycopg://crm_app@127.0.0.1:5432/crm
export MIGRATION_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/crm

.DEFAULT_GOAL := help
.PHONY: help install services-up migrate run demo test test-unit test-integration test-e2e lint format mail bench clean \
	translations

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Front-end libraries from npm (pinned by package-lock.json), copied where the CRM serves them.
$(VENV)/.assets: package.json package-lock.json | $(VENV)/.installed
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PY) -m services.crm.entrypoints.web.assets
	touch $@

CATALOGUES := $(wildcard shared/locale/*/LC_MESSAGES/messages.po)
LOCALE_DOMAIN := -d shared/locale -D messages

# The gettext catalogues, compiled from the committed .po files.
$(VENV)/.catalogues: $(CATALOGUES) | $(VENV)/.installed
	$(VENV)/bin/pybabel compile $(LOCALE_DOMAIN) --statistics
	touch $@

install: $(VENV)/.installed $(VENV)/.assets $(VENV)/.catalogues ## Virtualenv, pinned Python and npm packages, compiled catalogues

translations: $(VENV)/.installed ## Extract marked strings and update the ru/uk .po files (then translate them)
	$(VENV)/bin/pybabel extract -F babel.cfg -k t --add-location=file --sort-by-file \
		-o shared/locale/messages.pot .
	$(VENV)/bin/pybabel update -i shared/locale/messages.pot $(LOCALE_DOMAIN) \
		--no-fuzzy-matching --ignore-obsolete

services-up: ## Start PostgreSQL, Redis and RabbitMQ if installed but stopped; say how to get a missing one
	scripts/services-up

migrate: install ## Create the database if needed, migrate every schema as the owner, grant crm_app its rows
	$(PY) -m shared.migrations

run: services-up migrate ## Start the services if stopped, migrate, load demo data, start every service (Ctrl-C stops them all)
	@$(FLASK) load-demo > .demo-token
	@echo "CRM API:      http://$${API_BIND:-127.0.0.1:8000}   (docs at /docs, spec at /openapi.json)"
	@echo "Admin token:  $$(cat .demo-token)"
	@echo "Try:          curl -H \"Authorization: Bearer $$(cat .demo-token)\" http://$${API_BIND:-127.0.0.1:8000}/api/leads"
	$(VENV)/bin/honcho start -f Procfile

test: install ## Unit, integration and end-to-end tests (real PostgreSQL, RabbitMQ, Redis)
	$(PY) -m pytest -n auto --dist worksteal tests

test-unit: install ## Unit tests only
	$(PY) -m pytest tests/unit

test-integration: install ## Integration tests only
	$(PY) -m pytest tests/integration

test-e2e: install ## End-to-end tests that start the real processes
	$(PY) -m pytest tests/e2e

lint: install ## ruff lint and format check, mypy (strict for the domain and shared/)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

BENCHMARKS := outbox_lag scheduler notifier loop_latency replan web analytics deals win_probability \
	api_load isolation

mail: install ## Run only the sales mailbox's SMTP endpoint (MAIL_HOST:MAIL_PORT)
	$(VENV)/bin/crm-mail

bench: install ## Benchmarks (not part of the tests); prints the figures
	@for name in $(BENCHMARKS); do echo "== bench/$$name.py"; \
		quick=$$(grep -q -- '"--quick"' bench/$$name.py && echo --quick); \
		$(PY) bench/$$name.py $$quick || exit 1; done

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info .demo-token

# ---- Operations: each target wraps a `crm-ops` command (runbook: deploy/README.md) ----
# In a container: `docker compose -f deploy/compose.yaml exec worker crm-ops <command>`.
.PHONY: ops-migrate create-admin queues dead-letters replay pause-scheduler resume-scheduler \
	quarantine release export-reference import-reference backup restore rotate-tokens deploy-check

CRM_OPS   := $(VENV)/bin/crm-ops
QUEUE     ?= crm
REFERENCE ?= reference-books.json
BACKUP    ?= crm-$(shell date -u +%Y%m%dT%H%M%SZ).dump

ops-migrate: install ## Migrate every schema, or report what is behind: make ops-migrate ARGS=--check
	$(CRM_OPS) migrate $(ARGS)

create-admin: install ## Create an admin and print its token: make create-admin EMAIL=boss@example.com
	@test -n "$(EMAIL)" || { echo "usage: make create-admin EMAIL=..."; exit 2; }
	$(CRM_OPS) create-admin --email "$(EMAIL)"

queues: install ## Messages ready, delayed and dead-lettered in each service's queue
	$(CRM_OPS) queues

dead-letters: install ## Why messages were dead-lettered: make dead-letters QUEUE=crm
	$(CRM_OPS) dead-letters $(QUEUE)

replay: install ## Move a queue's dead letters back after a fix: make replay QUEUE=crm
	$(CRM_OPS) replay $(QUEUE)

pause-scheduler: install ## Stop every scheduler instance emitting: make pause-scheduler REASON=...
	$(CRM_OPS) pause-scheduler --reason "$(REASON)"

resume-scheduler: install ## Let the scheduler emit again (what fell due is emitted at once)
	$(CRM_OPS) resume-scheduler

quarantine: install ## Rows the scheduler or a relay set aside, with their reason
	$(CRM_OPS) quarantine list

release: install ## Give a quarantined row back after a fix: make release TABLE=scheduler.timers ID=7
	@test -n "$(TABLE)" -a -n "$(ID)" || { echo "usage: make release TABLE=... ID=..."; exit 2; }
	$(CRM_OPS) quarantine release "$(TABLE)" "$(ID)"

export-reference: install ## Write statuses and refusal reasons to JSON: make export-reference REFERENCE=file.json
	$(CRM_OPS) export-reference --output "$(REFERENCE)"

import-reference: install ## Create/update reference books from JSON: make import-reference REFERENCE=file.json
	$(CRM_OPS) import-reference "$(REFERENCE)"

backup: install ## pg_dump the whole database: make backup [BACKUP=file.dump]
	$(CRM_OPS) backup "$(BACKUP)"

restore: install ## Restore a backup (asks first; stop the services): make restore BACKUP=file.dump
	$(CRM_OPS) restore "$(BACKUP)"

rotate-tokens: install ## Revoke an employee's tokens, print a new one: make rotate-tokens EMPLOYEE=id-or-email
	@test -n "$(EMPLOYEE)" || { echo "usage: make rotate-tokens EMPLOYEE=..."; exit 2; }
	$(CRM_OPS) rotate-tokens "$(EMPLOYEE)"

deploy-check: install ## Validate deploy/ offline: compose schema, Kubernetes schemas, dashboard, alerts
	$(PY) -m pytest tests/deploy -q
