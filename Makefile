# Two entry points: `make run` (a working portal on this machine) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
IDP_DIR := tests/idp
A11Y_DIR := tests/a11y
DEV_ENV := DEBUG=true

.PHONY: run test test-fast messages translations translations-check gettext install install-test idp-deps a11y-deps vendor-js screenshots chromium ops-tools scale-demo migrate seed lint format clean bench wrk redis-server lock audit saml-idp fonts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Every Python dependency, transitive ones included, is pinned with its hashes in
# requirements.lock (runtime) and requirements-test.lock (runtime + the `test` extra, with
# the same runtime versions). `make lock` regenerates both from pyproject.toml.
$(VENV)/.installed-run: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements-test.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

# One command after any change to the dependencies in pyproject.toml.
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet
lock: install-test
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test $(LOCK_FLAGS) -c requirements.lock \
		-o requirements-test.lock

# Known vulnerabilities in the locked versions. Offline-tolerant: when the advisory service
# cannot be reached, say so and carry on; a vulnerability found fails the build.
audit: install-test
	$(BIN)/python tests/audit_dependencies.py requirements-test.lock

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
	$(BIN)/python tests/system/screenshots_languages.py

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# Translations: the catalogues in locale/ are the source; compiled .mo files are built, never
# committed (`make translations`), so a catalogue and its compiled form cannot drift apart.
LOCALES := es pt_BR fr ar ur
MO_FILES := $(foreach l,$(LOCALES),locale/$(l)/LC_MESSAGES/django.mo)

gettext:
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | gettext
	msgfmt --check --output-file $@ $<

translations: $(MO_FILES)

# Extract every message of the portal's code and templates into the catalogues.
messages: install gettext
	$(DEV_ENV) $(BIN)/python manage.py makemessages $(foreach l,$(LOCALES),-l $(l)) \
		--ignore='.venv/*' --ignore='node_modules/*' --ignore='tests/*' --ignore='staticfiles/*' \
		--ignore='var/*' --ignore='bench/*' --ignore='deploy/*' --no-obsolete --add-location=file

translations-check: install-test gettext translations
	$(BIN)/python -m pytest -q tests/test_translations.py tests/portal/test_no_english_left.py


# Debian tools the operations tests run: HAProxy (scale-out), systemd-analyze (units),
# promtool (scrape config and alert rules) and redis-server (a private broker).
ops-tools:
	@missing=""; \
	command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Two gunicorns behind HAProxy, two workers and one beat on PostgreSQL and a private Redis,
# under steady load: one gunicorn killed and restarted, one worker kill -9ed, beat
# restarted. Prints what the client saw. Needs PostgreSQL on 127.0.0.1:5432.
scale-demo: install-test ops-tools
	$(BIN)/python -m tests.system.scale_demo


# The delivery and health tests start private redis-server processes (and SIGSTOP them).
redis-server:
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }


# The SAML tests' IdP: Debian's SimpleSAMLphp run with `php -S` on loopback (tests/system/saml_harness.py).
# The package does not pull in php-xml (DOMDocument) or php-mbstring, which it needs.
saml-idp:
	@{ command -v php >/dev/null && test -f /usr/share/simplesamlphp/www/saml2/idp/SSOService.php \
	  && php -r 'exit(class_exists("DOMDocument") && function_exists("mb_strlen") ? 0 : 1);'; } \
	  || { apt-get update -qq && apt-get install -y -qq simplesamlphp php-cli php-xml php-mbstring; }


# The certificate font (CERTIFICATE_FONT_PATH): names in any script on the PDFs.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core; }

migrate: install translations
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

test: install-test idp-deps a11y-deps chromium fonts ops-tools redis-server saml-idp translations lint audit
	$(BIN)/python -m pytest

# Everything but the system tests (no browser, IdP or worker processes): the quick loop.
test-fast: install-test translations
	$(BIN)/python -m pytest -m "not system"

# The web benchmark (not part of `make test`): gunicorn + wrk against 1x and 100x data in
# PostgreSQL databases of its own (BENCH_DATABASE_URL), table in bench/results/<date>.md.
# Options: make bench BENCH_ARGS="--rounds 5 --duration 10"
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

bench: install wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(MO_FILES) $(VENV) $(IDP_DIR)/node_modules $(A11Y_DIR)/node_modules node_modules var staticfiles
