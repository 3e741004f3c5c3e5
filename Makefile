# Frontdesk: everything a fresh machine needs is installed by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

BENCH_LOAD_ARGS ?= --separate-worker
ASSETS := node_modules/.installed

LOCK   := requirements.lock

.PHONY: install lock browser run demo worker openapi lint test test-fast test-fuzz test-portability bench bench-console bench-load clean

## Exactly what requirements.lock pins, each file checked against its hash (ADR 0070), then the
## project itself, built with the locked setuptools and nothing more.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --only-binary=:all: -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
	  echo "pyproject.toml asks for what requirements.lock lacks: run make lock"; exit 1; }
	@touch $(STAMP)

## Re-resolve requirements.lock from pyproject.toml (runtime, dev extra, build system) for
## every platform and Python >= 3.11; UPGRADE="--upgrade" (or "--upgrade-package NAME")
## takes newer releases within pyproject's bounds, otherwise pins are kept where they fit.
lock: $(STAMP)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], sep='\\n')" \
	  | $(BIN)/uv pip compile pyproject.toml - --extra dev --universal --python-version 3.11 \
	      --generate-hashes --custom-compile-command 'make lock' --quiet $(UPGRADE) -o $(LOCK)

## The console's front-end assets, from the npm registry, as package-lock.json pins them.
$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the console's assets (Node.js 18+)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $(ASSETS)

## Debian's chromium for the console's browser tests (Playwright cannot download one here).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { apt-get install -y -qq chromium >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; } || \
	  { echo "the browser tests need chromium: apt-get install chromium"; exit 1; }

install: $(STAMP) $(ASSETS)

## Serve the API on http://127.0.0.1:8000 (embedded PostgreSQL under ./.data unless DATABASE_URL).
run: $(STAMP) $(ASSETS)
	$(BIN)/frontdesk serve

## Seed a demo tenant (three weeks of a clinic's history) on the same database; DEMO_TENANT=slug.
demo: $(STAMP)
	$(BIN)/frontdesk demo --tenant $(or $(DEMO_TENANT),demo)

## Run projections and process managers in a separate process (scale-out).
worker: $(STAMP)
	$(BIN)/frontdesk worker

## docs/openapi.json, the API's contract, written from the app (no server; the database
## `make run` uses). tests/e2e/test_openapi_contract.py fails until it matches what is served.
openapi: $(STAMP)
	FRONTDESK_LOG_LEVEL=$${FRONTDESK_LOG_LEVEL:-WARNING} $(BIN)/frontdesk openapi docs/openapi.json

## ruff, mypy (strict on domain and application) and the import-layer contracts.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Lint, then the whole suite against a real PostgreSQL (embedded by default), on every core
## (pytest-xdist, at most 4 workers, each with an embedded PostgreSQL of its own; ADR 0093). With
## DATABASE_URL every test shares that one database: one process. TEST_WORKERS=0: one process.
TEST_WORKERS ?= $(if $(DATABASE_URL),0,$(shell n=$$(nproc 2>/dev/null || echo 1); \
  if [ $$n -gt 4 ]; then n=4; fi; if [ $$n -lt 2 ]; then n=0; fi; echo $$n))
test: lint $(ASSETS) browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

## Schemathesis against the running service: every operation, ~100 cases each, all phases.
test-fuzz: $(STAMP)
	FRONTDESK_FUZZ_EXAMPLES=100 FRONTDESK_FUZZ_PHASES=examples,coverage,fuzzing,stateful \
		$(BIN)/pytest -s -p no:randomly tests/fuzz

## The embedded PostgreSQL's vector workload under an emulated CPU without AVX-512 (Haswell):
## fails on a build that assumes more than x86-64 with AVX2. Needs qemu-user (ADR 0064).
test-portability: $(STAMP)
	$(BIN)/pytest -m portability tests/portability

## The domain, and the application suite on the in-memory store only (no database).
test-fast: $(STAMP)
	$(BIN)/pytest -x -q tests/unit
	$(BIN)/pytest -x -q tests/application -k "not postgres"

## Benchmarks: prints figures next to baselines measured in the same run.
bench: $(STAMP)
	$(BIN)/python bench/run.py

## Console pages' server time (every GET page in the route map) on the demo tenant scaled to
## 10k contacts, and the widget's first AI answer, next to baselines of the same run.
bench-console: $(STAMP) $(ASSETS)
	$(BIN)/python bench/console_pages.py

## Mixed contact-center traffic (70% reads, 30% commands) for 60 s against the production
## layout (`frontdesk serve --workers 2` and a `frontdesk worker`), then 1,000 idle keep-alive
## connections; BENCH_SECONDS=10 for a quick trial, BENCH_LOAD_ARGS= for projections in-process.
bench-load: $(STAMP)
	$(BIN)/python bench/load.py --seconds $(or $(BENCH_SECONDS),60) $(BENCH_LOAD_ARGS)

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
