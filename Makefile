# `make run` sets up and runs the bot on SQLite; `make test` sets up and runs lint (ruff, mypy)
# and tests. Both install from the lock files (hashes checked): `make run` the runtime
# dependencies only, `make test` the development tools too; `make lock` updates the locks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What each set-up installed; a lock or pyproject.toml newer than its stamp installs again.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# The project itself: editable, with no dependencies of its own (the lock has them all) and
# built with the setuptools of the lock.
INSTALL_PROJECT := $(PIP) --no-deps --no-build-isolation -e .

.PHONY: run test setup run-setup catalogs extract migrate lint format check-catalogs lock bench \
	bench-inbound bench-find bench-similar clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes -r requirements.lock
	$(INSTALL_PROJECT)
	touch $@

# The development lock pins the runtime lock's versions too (`make lock` constrains it to them),
# so it stands for both.
$(DEV_STAMP): requirements-dev.lock requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes -r requirements-dev.lock
	$(INSTALL_PROJECT)
	touch $@ $(RUN_STAMP)

# The runtime dependencies only: what `make run` needs.
run-setup: $(RUN_STAMP) catalogs

# Everything: the runtime, and the tools of `make test`.
setup: $(DEV_STAMP) run-setup

catalogs: $(RUN_STAMP)
	$(BIN)/pybabel compile --statistics -d bot/locales -D messages

# Re-extract user-facing strings and merge them into the kk/ru/en catalogs.
extract: $(DEV_STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -k N_ -k __ \
		--project=hearing-state-bot -o bot/locales/messages.pot bot handlers
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i bot/locales/messages.pot -d bot/locales -D messages

migrate: run-setup
	$(BIN)/hearing-state-bot migrate

run: run-setup
	$(BIN)/hearing-state-bot migrate
	$(BIN)/hearing-state-bot run

check-catalogs: $(RUN_STAMP)
	$(BIN)/python tools/check_catalogs.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint check-catalogs
	$(BIN)/python -m pytest -q

# Re-resolve both locks to the newest versions pyproject.toml allows, for CPython 3.11 on Linux
# x86_64 (the container's and CI's platform). `make lock LOCK_UPGRADE=` keeps the pinned
# versions and only adds what is new. Commit both files.
LOCK_UPGRADE ?= --upgrade
UV_COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --custom-compile-command 'make lock' $(LOCK_UPGRADE)
lock: $(DEV_STAMP)
	$(UV_COMPILE) pyproject.toml deploy/build-requirements.in -o requirements.lock
	$(UV_COMPILE) pyproject.toml deploy/build-requirements.in --extra dev \
		--constraint requirements.lock -o requirements-dev.lock

# The broadcast benchmark (several minutes; prints a table). BENCH_ARGS=--quick for a smoke run.
bench: setup
	$(BIN)/python bench/broadcast.py $(BENCH_ARGS)

# The inbound benchmark: the wave of presses after an announcement (see docs/performance.md,
# "Inbound benchmark"). BENCH_ARGS=--quick for a smoke run; --postgres URL --redis URL for PostgreSQL.
bench-inbound: setup
	$(BIN)/python bench/inbound.py $(BENCH_ARGS)

# The /find benchmark: search latency over 100 000 questions (docs/performance.md).
# BENCH_ARGS=--quick for 10 000; --database postgresql+asyncpg://… for PostgreSQL.
bench-find: setup
	$(BIN)/python bench/find.py $(BENCH_ARGS)

# Similar published answers (/ask, /faq): hit rate on bench/data/similar_questions.json and
# latency at 10 000 published answers (see README "Open answers"). BENCH_ARGS=--database
# postgresql+asyncpg://… for PostgreSQL.
bench-similar: setup
	$(BIN)/python bench/similar.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find bot/locales -name '*.mo' -delete
