# Two commands on a fresh machine: `make demo` and `make test`.
# The interpreter: the distribution's own Python 3.11+ where it can make a virtualenv
# (Debian's /usr/bin/python3 is linked statically and built with PGO and LTO), else
# python3 from PATH. pyenv's default build loads libpython as a shared library and
# starts each command 10-20 % slower (docs/performance.md, "The interpreter").
# `make install PY=...` chooses another; an existing .venv keeps its own.
SYSTEM_PY := /usr/bin/python3
PY      ?= $(if $(shell $(SYSTEM_PY) -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo ok),$(SYSTEM_PY),python3)
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: install demo test test-fast lint docs bench bench-province browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

demo: install
	$(BIN)/iku demo

# Headless Chromium for the HTML report checks and the PDF reports, and
# poppler-utils (pdftotext, pdftoppm) to check the PDF's pages, from Debian's packages.
browser:
	@{ command -v chromium && command -v pdftotext && command -v pdftoppm && command -v soffice && fc-list | grep -qi carlito; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils libreoffice-calc-nogui fonts-crosextra-carlito >/dev/null; \
	  else echo "chromium, poppler-utils or LibreOffice missing: sudo apt-get install chromium poppler-utils libreoffice-calc-nogui fonts-crosextra-carlito (browser and office tests will be skipped)"; fi; }

# Three test processes (pytest-xdist) on the 2-core machine, whole files to each:
# the tests wait on servers, subprocesses and browsers (even with three, the cores are
# 76 % busy), so a third process fills them: 251-255 s against 265-271 s with two on a
# quiet machine; four: 265 s (one more Prefect test server to start).
# Every test owns its Prefect server, PostgreSQL schema or database and ports
# (tests/test_isolation.py). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)
ALONE_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n 2 --dist loadfile)

# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set (__pycache__ is
# ignored by git): without it every test process rewrote the asserts of every
# test module again (about 6 s of CPU each) and every `iku` process compiled iku.
PYTEST_ENV := GX_ANALYTICS_ENABLED=false PYTHONDONTWRITEBYTECODE=

# Tests marked `alone` (the worker pool, the managed local server) run afterwards,
# apart from the many others: beside the loaded main run their Prefect workers
# sometimes outlived SIGTERM and a managed server sometimes died while starting.
# The two run beside each other, one file per process (48 -> 31 s; they wait on
# servers and workers more than they compute). Only the files that mark some are
# collected for them (the whole suite's collection took 9 s).
# The whole run's duration is printed last (the goal: under 5 minutes on a quiet 2-core machine).
ALONE_FILES = $(shell grep -rl --include='*.py' 'mark\.alone' tests)
test: install browser
	@start=$$(date +%s); \
	$(PYTEST_ENV) $(BIN)/pytest $(PYTEST_PARALLEL) -m "not alone" --durations=15 \
	&& $(PYTEST_ENV) $(BIN)/pytest $(ALONE_PARALLEL) -m alone $(ALONE_FILES); rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s (load average now: $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	exit $$rc

# Without the slow Prefect-server and browser tests, for a quick loop.
test-fast: install
	$(PYTEST_ENV) $(BIN)/pytest $(PYTEST_PARALLEL) -m "not prefect and not browser"

# ruff (lint, import order, format), mypy, the documentation site built with --strict
# (a broken link fails; about 2 s), every IKU_* of the code in deploy/iku.env.example,
# and the README's links; .ci/run calls this before the tests.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	$(BIN)/python deploy/check_env_example.py
	@# the README lives outside the site: its links to files are checked here
	@grep -oE '\]\([^)#:]+' README.md | cut -c3- | while read -r f; do test -e "$$f" || { echo "README.md: broken link $$f"; exit 1; }; done

# The documentation site (MkDocs Material) into site/.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: install
	$(BIN)/python bench/run.py

# A province (400 OPD, 24,000 sheets; then ten years in PostgreSQL): 20 minutes on a busy 2-core machine.
bench-province: install
	$(BIN)/python bench/run.py --province

clean:
	rm -rf data out .pytest_cache
