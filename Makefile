# Foundry Platform — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STATE ?= .demo
# The version lives in pyproject.toml only; images and Promises are tagged with it (never `latest`).
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml)
REGISTRY ?= ghcr.io/foundry-platform
IMAGE ?= $(REGISTRY)/foundry-platform:$(VERSION)
# Label of the Destination every Promise schedules to (the cluster holding the tenants' Secrets).
DESTINATION_SELECTOR ?= foundry.platform/destination=true

.DEFAULT_GOAL := help
.PHONY: help install constraints demo test test-all lint typecheck promises check-promises docs bench fuzz clean images e2e

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,lint]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install the package with test and lint tools

constraints: $(VENV)/.installed ## Re-pin constraints.txt to what .venv has installed (after changing pyproject ranges)
	@head -2 constraints.txt > constraints.txt.new
	$(BIN)/python -m pip freeze --exclude-editable | grep -iv '^foundry-platform' >> constraints.txt.new
	mv constraints.txt.new constraints.txt

demo: $(VENV)/.installed ## Simulate Kratix over examples/ into a fresh .demo/ and show the result
	rm -rf $(DEMO_STATE)
	$(BIN)/foundry-platform simulate --state $(DEMO_STATE) --now 2026-11-28T20:00:00Z \
		--set FOUNDRY_NFS_SERVER=nas.example.internal examples/
	@echo
	@echo "What Kratix would commit to the state store:"
	@cd $(DEMO_STATE) && find statestore -type f | sort

.PHONY: standby
standby: $(VENV)/.installed ## Serve the standby page over the demo's cluster on http://127.0.0.1:8080 (after make demo)
	$(BIN)/foundry-platform standby-page --state $(DEMO_STATE) --host 127.0.0.1 --port 8080

test: $(VENV)/.installed ## Run the test suite (lint included)
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory lint

lint: $(VENV)/.installed ## ruff, mypy --strict (foundry_lib, pipelines, foundry_platform, services), import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy foundry_lib pipelines foundry_platform services
	$(BIN)/lint-imports

promises: $(VENV)/.installed ## Regenerate promises/ and the services' RBAC in deploy/services/ from the models
	$(BIN)/foundry-platform promises --output promises --image $(IMAGE) \
		--destination-selector $(DESTINATION_SELECTOR)
	$(BIN)/python -m foundry_platform.service_rbac

images: ## Build one image per role (Dockerfile targets), tagged with the pyproject version (REGISTRY=...)
	docker build --target pipelines -t $(IMAGE) .
	docker build --target monitor -t $(REGISTRY)/foundry-platform-monitor:$(VERSION) .
	docker build --target standby-page -t $(REGISTRY)/foundry-platform-standby-page:$(VERSION) .
	docker build --target discord-bot -t $(REGISTRY)/foundry-platform-discord-bot:$(VERSION) .

e2e: ## End to end on a throwaway kind cluster (needs docker, kind, kubectl, network; KEEP=1 keeps it)
	scripts/e2e.sh

docs: $(VENV)/.installed ## Regenerate generated documentation (volume state diagram, status key table)
	$(BIN)/python -m foundry_platform.docs docs

fuzz: $(VENV)/.installed ## Long run of the tenant-isolation property suite (many random sequences)
	FOUNDRY_FUZZ=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_isolation_properties.py

bench: $(VENV)/.installed ## Run the benchmarks, print their figures and update docs/performance.md
	$(BIN)/python -m benchmarks --write docs/performance.md

clean: ## Remove the virtualenv, demo state and caches
	rm -rf $(VENV) $(DEMO_STATE) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
