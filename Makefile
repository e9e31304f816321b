# Everything a fresh clone needs: Python 3.11+ and make. The venv is built from the hashed lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACK_VENV := policy/venv
PACK_STAMP := $(PACK_VENV)/.installed
STACK ?= dev
JOBS ?= 2

.PHONY: plan plan-all test lint typecheck check bench bench-quick docs packdata lock pack-lock clean

# The pack's own venv comes with it (order-only: a new pack lock rebuilds only the pack's venv), so the
# gate and the tests run the pack as `pulumi policy publish` and --policy-pack do.
$(STAMP): requirements.lock pyproject.toml | $(PACK_STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The policy pack's venv (PulumiPolicy.yaml `virtualenv: venv`), from policy/requirements.txt alone.
$(PACK_STAMP): policy/requirements.txt
	rm -rf $(PACK_VENV)
	$(PYTHON) -m venv $(PACK_VENV)
	$(PACK_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r policy/requirements.txt
	touch $(PACK_STAMP)

plan: $(STAMP)
	$(BIN)/fintech-infra plan --stack $(STACK)

plan-all: $(STAMP)
	$(BIN)/fintech-infra plan --all

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy finds the packages by their import names through links to their folders (setuptools maps the
# folders to those names, which mypy cannot follow in an editable install).
TYPING := build/typing
typecheck: $(STAMP)
	mkdir -p $(TYPING) && ln -sfn ../../components $(TYPING)/fintech_infra && ln -sfn ../../gate $(TYPING)/fintech_infra_gate
	$(BIN)/mypy $$(find -L $(TYPING) -name '*.py') policy/fintech_guardrails stacks tests benchmarks examples

check: lint typecheck test

# The full benchmark (every stack plus a 1/4/16-cell estate) takes a few minutes; it rewrites benchmarks/results.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.gate

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.gate --skip-estate

docs: $(STAMP)
	$(BIN)/python -m fintech_infra_gate.docs README.md --write
	$(BIN)/python -m fintech_infra_gate.preflight docs/deployment.md --write

# The facts the pack shares with the library (policy/fintech_guardrails/data/*.json), regenerated from the library.
packdata: $(STAMP)
	$(BIN)/python -m fintech_infra_gate.packdata --write

# Re-pin after changing pyproject.toml dependencies (needs pip-tools in the venv).
lock: $(STAMP)
	$(BIN)/pip-compile --generate-hashes --no-emit-index-url --no-emit-find-links --unsafe-package pip \
		--extra dev --strip-extras -o requirements.lock pyproject.toml

# Re-pin the pack's run-time dependencies (policy/requirements.in) at the versions of requirements.lock.
pack-lock: $(STAMP)
	$(BIN)/pip-compile --generate-hashes --no-emit-index-url --no-emit-find-links --allow-unsafe --unsafe-package pip \
		--strip-extras --constraint requirements.lock -o policy/requirements.txt policy/requirements.in

clean:
	rm -rf $(VENV) $(PACK_VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
