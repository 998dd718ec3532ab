# The two commands of the quick start: `make run` and `make test`. Each sets up what is missing first.
.PHONY: run test lint bench setup clean

setup:
	@scripts/bootstrap.sh dev

run: setup
	@.venv/bin/tmuxorch $(ARGS)

test: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy
	.venv/bin/pytest -q $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy

# The benchmark has its own venv: it needs libtmux, which must stay out of the test environment.
bench: setup
	@test -x .venv-bench/bin/python || python3 -m venv .venv-bench
	@.venv-bench/bin/python -m pip install -q -e ".[bench]"
	.venv-bench/bin/python -m bench $(ARGS)

clean:
	rm -rf .venv .venv-bench .pytest_cache .mypy_cache .ruff_cache
