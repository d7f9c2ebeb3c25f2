# Two entry points: `make run` (a working portal on this machine) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
IDP_DIR := tests/idp
A11Y_DIR := tests/a11y
DEV_ENV := DEBUG=true

.PHONY: run test install install-test idp-deps a11y-deps vendor-js screenshots chromium fonts migrate seed lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

$(IDP_DIR)/node_modules/.package-lock.json: $(IDP_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (apt-get install nodejs npm)"; exit 1; }
	npm ci --prefix $(IDP_DIR) --no-audit --no-fund
	touch $@

idp-deps: $(IDP_DIR)/node_modules/.package-lock.json

# axe-core for the accessibility tests (test-only, never served).
$(A11Y_DIR)/node_modules/.package-lock.json: $(A11Y_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (apt-get install nodejs npm)"; exit 1; }
	npm ci --prefix $(A11Y_DIR) --no-audit --no-fund
	touch $@

a11y-deps: $(A11Y_DIR)/node_modules/.package-lock.json

# Refresh static/js/htmx.min.js from the pinned npm package (the copy is committed, so
# running the portal needs no npm).
vendor-js:
	npm ci --no-audit --no-fund
	npm run vendor

# docs/screenshots/*.png from a live server with demo data (headless chromium).
screenshots: install-test idp-deps chromium
	$(BIN)/python tests/system/screenshots.py
	$(BIN)/python tests/system/screenshots_insights.py

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# The certificate font (CERTIFICATE_FONT_PATH): names in any script on the PDFs.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core; }

migrate: install
	mkdir -p var
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

# Web on :8000, the demo IdP on :9000, a worker and beat, all on embedded defaults.
run: install idp-deps seed
	@echo "Portal: http://127.0.0.1:8000  (demo sign-in: alex / demo, see README)"
	@trap 'kill 0' EXIT INT TERM; \
	IDP_SHOW_USERS=1 node $(IDP_DIR)/server.mjs & \
	$(DEV_ENV) $(BIN)/celery -A portal worker -Q default,notifications --concurrency 2 --loglevel INFO & \
	$(DEV_ENV) $(BIN)/celery -A portal beat --loglevel INFO & \
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000 & \
	wait

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-test idp-deps a11y-deps chromium fonts lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(IDP_DIR)/node_modules $(A11Y_DIR)/node_modules node_modules var staticfiles
