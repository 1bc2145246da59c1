# paypages: `make run` starts the product, `make test` checks it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
NEEDS_PY311 := import sys; sys.exit(sys.version_info < (3, 11))

.PHONY: run test lint bench chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c '$(NEEDS_PY311)' || { \
		echo "*** $(VENV) runs Python $$($(BIN)/python -V 2>&1):" \
			"paypages needs 3.11 or newer. Run 'make clean' and" \
			"'make PYTHON=python3.12 ...' ***" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/paypages db upgrade
	$(BIN)/paypages run

# Debian's Chromium drives the browser tests; Playwright never downloads one.
# Where it cannot be had the tests say so loudly, and fail under CI=true.
chromium:
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium >/dev/null \
		|| echo "*** Installing chromium failed:" \
			"the browser tests cannot run. ***" >&2; \
	else \
		echo "*** chromium is missing and cannot be installed here" \
			"(not root, or no apt-get): the browser tests cannot run. ***" >&2; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) chromium lint
	$(BIN)/python -m pytest

# A few minutes; BENCH_QUICK=1 for a smaller run. Rewrites docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python tests/benchmarks.py

clean:
	rm -rf $(VENV) build *.egg-info
