# ssnoc — `make run` opens the console on the simulated province; `make test` runs every check.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SIZE ?= full
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck imports pytest system venv lab-up lab-down bench clean

run: system venv
	$(BIN)/ssnoc lab up --size $(SIZE)
	$(BIN)/ssnoc up --as liang.hua

test: system venv lint pytest

system:
	@scripts/install-system-packages

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

pytest: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

lab-up: venv
	$(BIN)/ssnoc lab up --size $(SIZE)

lab-down: venv
	$(BIN)/ssnoc lab down

bench: system venv
	$(BIN)/python bench/metric_store.py
	$(BIN)/python bench/snmp_poll.py
	$(BIN)/python bench/ssh_collect.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/topology.py
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/heartbeats.py

clean:
	-$(BIN)/ssnoc lab down
	rm -rf var .mypy_cache .pytest_cache .ruff_cache
