# terp-seed: `make demo` runs the main job, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB := terp_seed.sqlite

.PHONY: demo test lint format mariadb faults bench clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Schema + seed migrations on the embedded SQLite default, then what was seeded.
demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB).lock
	TERP_DATABASE_URL= $(BIN)/alembic upgrade head
	TERP_DATABASE_URL= $(BIN)/alembic -n seed upgrade head
	TERP_DATABASE_URL= $(BIN)/terp-seed status

lint: $(STAMP)
	$(BIN)/ruff check terp_seed tests migrations seed_migrations benchmarks
	$(BIN)/ruff format --check terp_seed tests migrations seed_migrations benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format terp_seed tests migrations seed_migrations benchmarks
	$(BIN)/ruff check --fix terp_seed tests migrations seed_migrations benchmarks

mariadb:
	bash .ci/ensure-mariadb

test: lint mariadb
	$(BIN)/pytest --cov=terp_seed --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS)

faults: $(STAMP) mariadb
	$(BIN)/pytest tests/faults -m faults $(PYTEST_ARGS)

bench: $(STAMP) mariadb
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage $(DEMO_DB) $(DEMO_DB).lock logs
