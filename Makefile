# news-qa: `make run` starts the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The browser tests drive Debian's Chromium (Playwright is given its path; no browser download).
CHROMIUM_PACKAGES := chromium chromium-driver

.PHONY: run test test-deps install lint bench bench-quick clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build; an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,milvus,milvus-server,fast,train]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/newsqa build
	$(VENV)/bin/newsqa serve

test: $(STAMP) test-deps
	$(PY) -m pytest

# What the suite needs beyond the venv: Chromium and its driver, through apt when run as root;
# otherwise stop before the tests with the command to run. NEWSQA_CHROMIUM names another binary.
test-deps:
	@if [ -n "$$NEWSQA_CHROMIUM" ] && [ -x "$$NEWSQA_CHROMIUM" ]; then :; \
	elif [ -x /usr/bin/chromium ] && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing the browser tests' Chromium: apt-get install -y $(CHROMIUM_PACKAGES)" >&2; \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES) >/dev/null; \
	else \
	  echo "The browser tests need Chromium. Install it, then run make test again:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y $(CHROMIUM_PACKAGES)" >&2; \
	  echo "(or set NEWSQA_CHROMIUM to a Chromium binary; or skip them:" >&2; \
	  echo "  $(PY) -m pytest -m 'not browser')" >&2; \
	  exit 1; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/run_all.py

bench-quick: $(STAMP)
	$(PY) bench/run_all.py --quick

clean-venv:
	rm -rf $(VENV)
