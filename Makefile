# AI Mastery: every command a learner or a contributor needs.
# `make help` lists them. Everything runs in .venv, made on first use.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAGES = $(PY) -m aimastery.devtools.stages
INSTALLED := $(VENV)/.installed
VENDORED := _vendor/_assets/VERSIONS.json
AXE := _vendor/axe/axe.min.js
# Jupyter Book re-runs a chapter when its code changes, not when the package
# it imports does: any change in aimastery/ empties the execution cache and
# Sphinx's saved doctrees (else the old pages are reused as they are).
CACHE_STAMP := _build/.package-stamp
PACKAGE_FILES = $(shell find aimastery -name '*.py' -o -name '*.js' -o -name '*.css')
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PORT ?= 8000
WEEK ?=
HINT ?=
ONLY ?=

# The working tree's own package comes first (also in git worktrees), and
# nothing reaches for a model hub: weights come from installed packages.
export PYTHONPATH := $(CURDIR)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# Chapters and lab notebooks: MyST .md sources with a kernelspec (Jupytext pairs them with .ipynb);
# the lab notebooks run under nbval against the solutions
NOTEBOOK_SOURCES = $(shell grep -l '^kernelspec:' book/*.md book/*/*.md labs/*/*.md solutions/*/*.md 2>/dev/null)
LAB_NOTEBOOKS = $(patsubst %.md,%.ipynb,$(shell grep -l '^kernelspec:' solutions/*/*.md 2>/dev/null))

.PHONY: help book test serve serve-api serve-digits jupyter lab-check progress bench notebooks labs lock clean

help:
	@echo "AI Mastery — make targets"
	@echo "  make book                build the HTML book, every chapter executed (first run sets up .venv)"
	@echo "  make test                everything CI runs: tests, labs, notebooks (nbval), book (-W), browser"
	@echo "  make serve [PORT=8000]   serve the built book on http://127.0.0.1:PORT"
	@echo "  make serve-api [PORT=8000]  the capstone's issue classifier API, 2 workers (trains first if needed)"
	@echo "  make serve-digits [DIR=artefacts/digits] [PORT=8000]  Week 5's digit model API, on an exported model"
	@echo "  make jupyter             JupyterLab on 127.0.0.1, chapters and labs as notebooks"
	@echo "  make lab-check WEEK=01   run a lab's tests on your code in labs/, task by task"
	@echo "  make lab-check WEEK=01 HINT=2  the same, with hint 2 for each task that does not pass"
	@echo "  make progress            every lab checked: a table, and _build/progress.html"
	@echo "  make bench [ONLY=name]   run benchmarks; one JSON line each"
	@echo "  make notebooks           write the .ipynb twin of every chapter and lab (.md is the source)"
	@echo "  make labs                regenerate labs/ from solutions/ (contributors)"
	@echo "  make lock                re-resolve requirements.in into requirements.txt (contributors)"
	@echo "  make clean               remove build outputs (keeps .venv)"

$(INSTALLED): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENDORED): $(INSTALLED) aimastery/devtools/vendor.py aimastery/devtools/static/widgets-config.js
	$(PY) -m aimastery.devtools.vendor

$(AXE): $(INSTALLED) aimastery/devtools/vendor.py
	$(PY) -c "from aimastery.devtools.vendor import vendor_axe; vendor_axe()"

$(CACHE_STAMP): $(PACKAGE_FILES)
	@rm -rf _build/.jupyter_cache _build/.doctrees
	@mkdir -p _build && touch $@

notebooks: $(INSTALLED)
	@$(BIN)/jupytext --quiet --sync $(NOTEBOOK_SOURCES)
	@echo "paired .ipynb written for $(words $(NOTEBOOK_SOURCES)) notebooks"

labs: $(INSTALLED)
	$(PY) -m aimastery.labs generate

book: $(INSTALLED) $(VENDORED) $(CACHE_STAMP)
	$(PY) -m aimastery.devtools.build --jobs $(JOBS)
	@echo "Open it in a browser, or run: make serve"

# Each notebook executes once per run: a chapter in the book build (which
# fails on an error or on any stderr output, and records each chapter's time
# for the budget check), a lab notebook under nbval against the solutions.
# A lab's tests run once per version of its code: the lab notebooks' check(n)
# calls reuse the pipeline's run (aimastery/labs/results_cache.py).
test: $(INSTALLED) $(VENDORED) $(AXE) $(CACHE_STAMP) notebooks
	@$(STAGES) reset
	@rm -rf _build/lab-results
	@echo "== 1/4  package tests, the lab pipeline, every lab notebook (nbval)"
	AIM_LAB_RESULTS_CACHE=$(CURDIR)/_build/lab-results $(STAGES) run "1 tests and lab notebooks" -- $(PY) -m pytest -n $(JOBS) --dist loadfile -m "not browser" \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
		--durations=15 tests $(LAB_NOTEBOOKS)
	@echo "== 2/4  the book: every chapter executed once, zero warnings"
	$(STAGES) run "2 book build" -- $(PY) -m aimastery.devtools.build --strict --quiet --jobs $(JOBS)
	@echo "== 3/4  each chapter's execution time against its budget"
	$(STAGES) run "3 chapter budgets" -- $(PY) -m aimastery.devtools.budgets
	@echo "== 4/4  every built page in headless Chromium"
	$(STAGES) run "4 browser" -- $(PY) -m pytest -m browser tests/browser
	@$(STAGES) summary

serve:
	@test -f _build/html/index.html || { echo "No built book yet: run 'make book' first."; exit 1; }
	@echo "Serving the book on http://127.0.0.1:$(PORT) (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# The capstone's service (book/capstone_issue_classifier.md): uvicorn with 2
# workers on 127.0.0.1:PORT; trains the model first when artefacts/capstone is empty.
serve-api: $(INSTALLED)
	$(PY) -m aimastery.capstone serve --host 127.0.0.1 --port $(PORT) --workers 2

# Week 5's digit service (book/week05_cnn.md): uvicorn on 127.0.0.1:PORT, serving the model that
# aimastery.cnn.export.export_classifier wrote to DIR; says how to export one when DIR has none.
serve-digits: $(INSTALLED)
	$(PY) -m aimastery.cnn.serve --host 127.0.0.1 --port $(PORT) $(if $(DIR),--artefacts "$(DIR)")

jupyter: $(INSTALLED) notebooks
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.extension_manager=readonly $(if $(filter 0,$(shell id -u)),--allow-root)

lab-check: $(INSTALLED)
	@$(PY) -m aimastery.labs report "$(WEEK)" $(if $(HINT),--hint "$(HINT)")

progress: $(INSTALLED)
	@$(PY) -m aimastery.labs progress

bench: $(INSTALLED)
	@$(PY) -m aimastery.bench $(if $(ONLY),--only $(ONLY))

lock:
	$(PYTHON) -m aimastery.devtools.lock

clean:
	rm -rf _build _vendor
