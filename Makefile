# Two commands: `make run` (the portal with demo data and its jobs) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DEMO_PASSWORD ?= demo-pass-2026
# The Celery-on-Redis tests run when a Redis server answers here (CI starts one); elsewhere they are skipped.
export TEST_REDIS_URL ?= $(shell redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && echo redis://127.0.0.1:6379/15)

.PHONY: run test test-fast lint format install translations messages system-deps bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# Compiled with Babel so that a fresh machine needs no gettext tools.
translations: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics

# Re-extract the strings to translate (needs gettext's xgettext: `make system-deps`).
messages: install
	$(BIN)/python manage.py makemessages --locale en --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py makemessages --locale en --domain djangojs --ignore '.venv/*' --ignore 'var/*' --ignore 'static/vendor/*'

run: install translations
	mkdir -p var/celery/out var/celery/processed var/celery/control
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_holidays
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py send_reminders
	BIN=$(BIN) ./bin/run-dev

test: install translations
	$(BIN)/python -m pytest

# The inner loop: everything but the tests marked slow (browsers, real workers, scale data), on every core.
test-fast: install translations
	$(BIN)/python -m pytest -m "not slow" -n auto

# ruff's linter and formatter (settings in pyproject.toml); CI runs this.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian packages the browser tests, `make messages` and `make bench` (wrk) need (run as root).
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei gettext wrk mosquitto

bench: install
	$(BIN)/python bench/run.py --scale $(or $(SCALE),S)

clean:
	rm -rf var .pytest_cache
