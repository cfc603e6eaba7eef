# `make test` and `make demo` do all of the set-up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: test lint demo bench docs clean

$(STAMP): pyproject.toml
	@echo "set-up: .venv with skprune and its test, torch, onnx extras (a few minutes on a fresh machine)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install --progress-bar on -e ".[test,torch,onnx,demo]" | grep -E "^(Collecting|Successfully)" || true
	@$(PY) -c "import skprune, torch, skorch, skl2onnx, onnxruntime" || (echo "set-up failed" && exit 1)
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m skprune demo

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench.run

DOCS_STAMP := $(VENV)/.docs-stamp

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	$(PY) docs/check_offline.py docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache docs/_build \
		docs/generated docs/auto_examples
