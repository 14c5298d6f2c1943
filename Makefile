# Targets named by the README. `make run` and `make test` each install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps run demo test test-fast screenshots fix lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned: the CPU build; anything unpinned would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian packages the browser tests and Chinese plots need (Chromium and a CJK font), and the
# PostgreSQL server the store contract tests start (tests/corpus/conftest.py).
system-deps:
	@if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi 'wqy\|noto.*cjk' && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei postgresql >/dev/null; \
	else echo "system-deps: install chromium, fonts-wqy-zenhei and postgresql (Debian) for the browser and store tests"; fi

run: install
	$(BIN)/policymatch serve

demo: install
	$(BIN)/policymatch demo

test: install system-deps
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

screenshots: install system-deps  # refresh docs/img/match.png, admin.png and push.png (the tests write theirs to a temp folder)
	POLICYMATCH_SCREENSHOTS=docs/img $(BIN)/python -m pytest tests/api/test_browser.py tests/api/test_push_page.py

fix: install
	$(BIN)/ruff format matcher models corpus api eval durable events tests
	$(BIN)/ruff check --fix matcher models corpus api eval durable events tests

lint: install
	$(BIN)/ruff check matcher models corpus api eval durable events tests
	$(BIN)/mypy

bench: install
	$(BIN)/policymatch bench encode

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache *.egg-info
