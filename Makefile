# `make run` sets up and runs the bot on SQLite; `make test` sets up and runs lint (ruff, mypy)
# and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup catalogs extract migrate lint format check-catalogs bench bench-inbound bench-find bench-similar \
	clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) catalogs

catalogs: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D messages

# Re-extract user-facing strings and merge them into the kk/ru/en catalogs.
extract: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -k N_ -k __ \
		--project=hearing-state-bot -o locales/messages.pot bot handlers
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i locales/messages.pot -d locales -D messages

migrate: setup
	$(BIN)/python -m bot migrate

run: setup
	$(BIN)/python -m bot migrate
	$(BIN)/python -m bot

check-catalogs: $(STAMP)
	$(BIN)/python tools/check_catalogs.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint check-catalogs
	$(BIN)/python -m pytest -q

# The broadcast benchmark (several minutes; prints a table). BENCH_ARGS=--quick for a smoke run.
bench: setup
	$(BIN)/python bench/broadcast.py $(BENCH_ARGS)

# The inbound benchmark: the wave of presses after an announcement (see README "Inbound
# benchmark"). BENCH_ARGS=--quick for a smoke run; --postgres URL --redis URL for PostgreSQL.
bench-inbound: setup
	$(BIN)/python bench/inbound.py $(BENCH_ARGS)

# The /find benchmark: search latency over 100 000 questions (see README "Search benchmark").
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
	find locales -name '*.mo' -delete
