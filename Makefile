# Everything a fresh clone needs: Python 3.11+ and make. The venv is built from the hashed lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACK_VENV := policy/venv
PACK_STAMP := $(PACK_VENV)/.installed
STACK ?= dev
JOBS ?= 2
# The package as a team installs it: the sdist and the wheel built from it, and a clean venv holding only
# what `pip install 'fintech-infra[test,gate]'` brings (at the lock's pins) plus that wheel.
DIST := build/dist
DIST_STAMP := $(DIST)/.built
TEAM_VENV := build/team-venv
TEAM_DEPS := $(TEAM_VENV)/.dependencies
TEAM_STAMP := $(TEAM_VENV)/.installed
PACKAGE_SOURCES := pyproject.toml README.md $(shell find components gate policy -path policy/venv -prune -o -type f \
	\( -name '*.py' -o -name '*.json' -o -name '*.yaml' -o -name '*.txt' -o -name '*.in' -o -name py.typed \) -print)

.PHONY: plan plan-all test lint typecheck check bench bench-quick docs packdata lock pack-lock package clean

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

# sdist first, then the wheel from the unpacked sdist (as an index user's pip would build it), no network.
$(DIST_STAMP): $(PACKAGE_SOURCES) | $(STAMP)
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(BIN)/python -m build --quiet --no-isolation --outdir $(DIST) . >$(DIST)/build.log 2>&1 || (cat $(DIST)/build.log; false)
	touch $(DIST_STAMP)

# The clean venv's dependencies change only with the lock (slow: a minute or two); the wheel with the code.
$(TEAM_DEPS): requirements.lock pyproject.toml | $(STAMP)
	rm -rf $(TEAM_VENV)
	$(PYTHON) -m venv $(TEAM_VENV)
	$(BIN)/python scripts/lock_subset.py requirements.lock test,gate >$(TEAM_VENV)/requirements.txt
	$(TEAM_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(TEAM_VENV)/requirements.txt
	touch $(TEAM_DEPS)

$(TEAM_STAMP): $(DIST_STAMP) $(TEAM_DEPS)
	$(TEAM_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall $(DIST)/fintech_infra-*.whl
	$(TEAM_VENV)/bin/python -m pip check
	touch $(TEAM_STAMP)

package: $(TEAM_STAMP)

plan: $(STAMP)
	$(BIN)/fintech-infra plan --stack $(STACK)

plan-all: $(STAMP)
	$(BIN)/fintech-infra plan --all

# FINTECH_INFRA_TEAM_VENV: the packaging tests run there, and fail (rather than skip) if it is missing or stale.
test: $(STAMP) $(TEAM_STAMP)
	FINTECH_INFRA_TEAM_VENV=$(TEAM_VENV) $(BIN)/python -m pytest -n $(JOBS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy finds the packages by their import names through links to their folders (setuptools maps the
# folders to those names, which mypy cannot follow in an editable install).
TYPING := build/typing
typecheck: $(STAMP)
	mkdir -p $(TYPING) && ln -sfn ../../components $(TYPING)/fintech_infra && ln -sfn ../../gate $(TYPING)/fintech_infra_gate
	$(BIN)/mypy $$(find -L $(TYPING) -name '*.py') policy/fintech_guardrails stacks tests benchmarks scripts

check: lint typecheck test

# The full benchmark (every stack plus a 1/4/16-cell estate) takes a few minutes; it rewrites benchmarks/results.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.gate

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.gate --skip-estate

# The generated parts of README.md and docs/*.md (gate/docs.py); a test fails when one is stale.
docs: $(STAMP)
	$(BIN)/python -m fintech_infra_gate.docs --write
	$(BIN)/python -m fintech_infra_gate.preflight docs/deployment.md --write

# The facts the pack shares with the library (policy/fintech_guardrails/data/*.json), regenerated from the library,
# and the resource types the shipped stacks create (synthesizes every stack: about a minute).
packdata: $(STAMP)
	$(BIN)/python -m fintech_infra_gate.packdata --write
	$(BIN)/python -m fintech_infra_gate.createdtypes --write

# Re-pin after changing pyproject.toml dependencies (needs pip-tools in the venv).
lock: $(STAMP)
	$(BIN)/pip-compile --generate-hashes --no-emit-index-url --no-emit-find-links --unsafe-package pip \
		--all-extras --strip-extras -o requirements.lock pyproject.toml

# Re-pin the pack's run-time dependencies (policy/requirements.in) at the versions of requirements.lock.
pack-lock: $(STAMP)
	$(BIN)/pip-compile --generate-hashes --no-emit-index-url --no-emit-find-links --allow-unsafe --unsafe-package pip \
		--strip-extras --constraint requirements.lock -o policy/requirements.txt policy/requirements.in

clean:
	rm -rf $(VENV) $(PACK_VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
