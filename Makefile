# spooky.ops: toolchain, tests and the lab.  `make test` is the one test command.
#
#   make setup        Debian packages, .venv (Python 3.11), dependency collections; idempotent
#   make sanity       ansible-test sanity of the collection (Python 3.11, ansible-core 2.19)
#   make units        ansible-test units of the collection
#   make lint         ansible-lint --offline, production profile
#   make docs         the collection docs site (antsibull-docs + Sphinx, offline), failing on any warning
#   make test-py312   sanity + units on Python 3.12 / ansible-core 2.21 (skipped without 3.12)
#   make pytest       pytest for tests/ (the lab tests start and stop the lab themselves; molecule/ included)
#   make test         all of the above, pytest last (PY312=0: without test-py312)
#   make demo         start the lab and run playbooks/daily_check.yml against it
#   make lab-up | lab-down | lab-status     the lab CLI (python -m spooky_lab)
#   make bench        every bench/*.py
#   make clean        remove tests' and tools' outputs (not .venv/.deps: see distclean)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
VENV_PY312 := $(CURDIR)/.venv-py312
COLLECTION := collections/ansible_collections/spooky/ops
# The ansible package whose wheel the dependency collections are taken from (requirements.yml).
ANSIBLE_BUNDLE := 12.3.0

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections:$(CURDIR)/.deps/collections
export PYTHONPATH := $(CURDIR)/lab
export PATH := $(VENV)/bin:$(PATH)
export PYTHON ANSIBLE_BUNDLE
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# ansible-test sanity runs with --local (the controller is .venv; no containers, so nothing
# needs docker) and runs every test but one:
#   pslint   skipped: needs PowerShell (pwsh), which Debian does not package; it would check
#            only .ps1/.psm1 files, and the collection has none.
# shellcheck comes from `make setup` (apt); it checks .sh files in the collection, if any.
# Each sanity test runs in its own venv under ~/.ansible/test/venv, whose pip ansible-test
# bootstraps with a get-pip.py from an unreachable host: `make setup` writes an offline
# stand-in (scripts/ansible_test_offline.py). ansible-test runs in a view of the collection
# with its dependency collections beside it (scripts/ansible_test.sh); results land in
# .deps/ansible-test/ansible_collections/spooky/ops/tests/output.
SANITY_SKIP := --skip-test pslint
SANITY_ARGS ?=
UNITS_ARGS ?=
PYTEST_ARGS ?=

# Print how long a stage took (to stderr; pytest, the last stage, is not wrapped, so that
# its summary stays the last line of `make test`).
define timed
start=$$SECONDS; rc=0; $(1) || rc=$$?; \
if [ $$rc = 0 ]; then result=done; else result="FAILED ($$rc)"; fi; \
echo "make $@: $$result in $$((SECONDS - start))s" >&2; exit $$rc
endef

.PHONY: help setup setup-system setup-python sanity units lint docs test-py312 pytest test \
	demo lab-up lab-down lab-status bench clean distclean

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

setup:
	@$(call timed,scripts/setup.sh all)

setup-system:
	@scripts/setup.sh system

setup-python:
	@scripts/setup.sh python

sanity: setup
	@$(call timed,scripts/ansible_test.sh $(VENV) sanity --local --python 3.11 $(SANITY_SKIP) $(SANITY_ARGS))

units: setup
	@$(call timed,scripts/ansible_test.sh $(VENV) units --local --python 3.11 $(UNITS_ARGS))

lint: setup
	@$(call timed,ansible-lint --offline --nocolor)

# The docs site: antsibull-docs lint-collection-docs, the RST pages, then sphinx-build -W into .docs-build/html
# (scripts/build_docs.sh; docs/collection/conf.py resolves references to other collections without the network).
docs: setup
	@$(call timed,scripts/build_docs.sh)

# Python 3.12 + ansible-core 2.21 (the newest ansible-core, which needs Python >= 3.12).
test-py312: setup
	@if ! py312=$$(scripts/find_python.sh 3.12); then \
	    echo "make test-py312: SKIPPED: no Python 3.12 interpreter found (PATH, pyenv)"; \
	    exit 0; \
	fi; \
	$(call timed,scripts/setup.sh py312 "$$py312" && \
	    scripts/ansible_test.sh $(VENV_PY312) sanity --local --python 3.12 $(SANITY_SKIP) $(SANITY_ARGS) && \
	    scripts/ansible_test.sh $(VENV_PY312) units --local --python 3.12 $(UNITS_ARGS))

# pytest's exit status 5 means "no tests collected" (tests/ still empty): not a failure.
# The test files run on PYTEST_WORKERS pytest-xdist workers, a file per worker at a time (--dist loadfile: the tests
# of a file share its order and fixtures), each worker with a lab of its own; PYTEST_WORKERS=0 runs them in-process.
PYTEST_WORKERS ?= 2
pytest: setup
	@rc=0; $(PY) -m pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

# PY312=0 leaves the Python 3.12 stage out of `make test` (it adds about 2.5 minutes when its
# venvs exist, 5 on a fresh machine; the whole of `make test` takes about 30 minutes on 2 cores, pytest two thirds of it).
PY312 ?= 1
test: setup sanity units lint docs $(if $(filter 0,$(PY312)),,test-py312) pytest

demo: setup
	$(PY) -m spooky_lab up
	@rc=0; ansible-playbook playbooks/daily_check.yml -i inventories/lab || rc=$$?; \
	echo; echo "The lab is still running: make lab-status to inspect it, make lab-down to stop it."; \
	exit $$rc

lab-up: setup
	$(PY) -m spooky_lab up

lab-down:
	$(PY) -m spooky_lab down

lab-status:
	$(PY) -m spooky_lab status

bench: setup
	@shopt -s nullglob; benches=(bench/*.py); \
	if [ $${#benches[@]} -eq 0 ]; then echo "make bench: no bench/*.py yet, nothing to run"; exit 0; fi; \
	for b in "$${benches[@]}"; do echo "== $$b"; $(PY) "$$b"; done

clean:
	rm -rf $(COLLECTION)/tests/output .deps/ansible-test reports .pytest_cache .hypothesis .docs-build
	find . -path ./.venv -prune -o -path ./.venv-py312 -prune -o -path ./.deps -prune -o \
	    -name __pycache__ -type d -prune -exec rm -rf {} +

# Also the toolchain: the next `make setup` rebuilds it (PyPI only; takes minutes).
distclean: clean
	rm -rf .venv .venv-py312 .deps
