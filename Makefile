# `make test` and `make demo` do all of the set-up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: test lint demo bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,torch]"
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m skprune demo

bench: $(STAMP)
	$(PY) bench/bench_feature_scoring.py
	$(PY) bench/bench_weight_pruning.py
	$(PY) bench/bench_layer_pruning.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
