# The two commands of the quick start: `make run` and `make test`. Each sets up what is missing first.
.PHONY: run test lint bench mutate setup clean real-agents

setup:
	@scripts/bootstrap.sh dev

run: setup
	@.venv/bin/tmuxorch $(ARGS)

# The suite runs on every core, at most 4 (pytest-xdist); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports
	.venv/bin/pytest -q -n $(PYTEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports

# The benchmark has its own venv: it needs libtmux, which must stay out of the test environment.
# It is made from .venv's Python (>= 3.11, found by bootstrap.sh), installed again only when
# pyproject.toml changes, and pip's output is shown only when pip fails.
BENCH_STAMP = .venv-bench/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
bench: setup
	@if [ ! -f $(BENCH_STAMP) ]; then \
	  echo "bench: installing tmuxorch[bench] into .venv-bench" >&2; \
	  .venv-bench/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	    || { rm -rf .venv-bench && .venv/bin/python -m venv .venv-bench; } || exit 1; \
	  .venv-bench/bin/python -m pip install -q -e ".[bench]" >.venv-bench/pip.log 2>&1 \
	    || { cat .venv-bench/pip.log >&2; exit 1; }; \
	  rm -f .venv-bench/.installed-*; touch $(BENCH_STAMP); \
	fi
	@.venv-bench/bin/python -m bench $(ARGS)

# Mutation testing (scripts/mutate.py holds which tests go with which module): too slow for
# `make test`. cosmic-ray registers no pytest plugin, so it goes into .venv, on the first
# `make mutate` and again when pyproject.toml changes. ARGS picks modules: `make mutate ARGS=names`.
MUTATE_STAMP = .venv/.mutate-$(shell cksum pyproject.toml | cut -d' ' -f1)
mutate: setup
	@if [ ! -f $(MUTATE_STAMP) ]; then \
	  echo "mutate: installing tmuxorch[mutate] into .venv" >&2; \
	  .venv/bin/python -m pip install -q -e ".[mutate]" >.venv/pip-mutate.log 2>&1 \
	    || { cat .venv/pip-mutate.log >&2; exit 1; }; \
	  rm -f .venv/.mutate-*; touch $(MUTATE_STAMP); \
	fi
	@.venv/bin/python scripts/mutate.py $(ARGS)

# The real agent CLIs walk real turns against a local fake model (scripts/realagents/walk.py):
# not in `make test`, it needs the CLIs from npm/PyPI (scripts/real-agents.sh installs them).
# ARGS picks CLIs and options, e.g. `make real-agents ARGS="claude --fixtures /tmp/screens"`.
real-agents: setup
	@scripts/real-agents.sh >/dev/null || true
	@.venv/bin/python scripts/realagents/walk.py $(ARGS)

clean:
	rm -rf .venv .venv-bench .pytest_cache .mypy_cache .ruff_cache .cosmic-ray
