# safepupil: every target installs what it needs first, so a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-output

.PHONY: help setup setup-browser demo test check lint format typecheck bench serve clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup:  ## install the Python environment from uv.lock (and Debian packages it needs)
	@scripts/bootstrap.sh

setup-browser:  ## setup, plus Debian's chromium for the browser tests
	@scripts/bootstrap.sh --browser

demo: setup  ## run the main job end to end on the embedded default
	$(BIN)/safepupil demo --out $(DEMO_DIR)

serve: setup  ## serve the demo deployment at http://127.0.0.1:8000/ (after `make demo`)
	@if [ ! -f $(DEMO_DIR)/home/deployment.toml ]; then \
		echo "serve: no demo deployment in $(DEMO_DIR)/home: run 'make demo' first"; exit 1; fi
	$(BIN)/safepupil serve --home $(DEMO_DIR)/home

test: setup-browser  ## run every test (the browser tests need chromium)
	$(BIN)/pytest

check: setup  ## lint, format check and type check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

lint: check

format: setup  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: setup
	$(BIN)/mypy

bench: setup  ## run the benchmarks under bench/ (prints medians and ratios)
	@failed=""; for script in bench/bench_*.py; do echo "== $$script"; \
		$(BIN)/python $$script || failed="$$failed $$script"; done; \
	if [ -n "$$failed" ]; then echo "bench: missed a goal or failed:$$failed"; exit 1; fi

clean:  ## remove generated output (keeps .venv)
	rm -rf $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
