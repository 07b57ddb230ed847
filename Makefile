# Qingmall: `make run` serves the demo shop on SQLite; `make test` runs the test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# two test workers (one per core here; the browser tests share one worker and one live server);
# PYTEST_ARGS="-n 0" runs in one process
PYTEST_ARGS ?= -n 2 --dist loadgroup

# the storefront (uni-app): npm ci when the lockfile changes, H5 and mini-program builds when a source changes
SF := frontend/storefront
SF_MODULES := $(SF)/node_modules/.package-lock.json
SF_SOURCES := $(shell find $(SF)/src -type f 2>/dev/null) $(SF)/package.json $(SF)/vite.config.js $(SF)/index.html
H5_BUILD := $(SF)/dist/build/h5/index.html
MP_BUILD := $(SF)/dist/build/mp-weixin/app.json
# the merchant console (Vue 3 + Element Plus + Vite), served at /console/
CON := frontend/console
CON_MODULES := $(CON)/node_modules/.package-lock.json
CON_SOURCES := $(shell find $(CON)/src -type f 2>/dev/null) $(CON)/package.json $(CON)/vite.config.js $(CON)/index.html
CON_BUILD := $(CON)/dist/index.html

.PHONY: run test lint bench clean h5 mp storefront console screenshots

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

$(SF_MODULES): $(SF)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "need Node.js 20 and npm to build the storefront"; exit 1; }
	cd $(SF) && npm ci --no-audit --no-fund

$(H5_BUILD): $(SF_MODULES) $(SF_SOURCES)
	cd $(SF) && npx uni build && node ../compress.mjs dist/build/h5

$(MP_BUILD): $(SF_MODULES) $(SF_SOURCES)
	cd $(SF) && node scripts/build-mp.mjs

$(CON_MODULES): $(CON)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "need Node.js 20 and npm to build the console"; exit 1; }
	cd $(CON) && npm ci --no-audit --no-fund

$(CON_BUILD): $(CON_MODULES) $(CON_SOURCES)
	cd $(CON) && npx vite build && node ../compress.mjs dist

h5: $(H5_BUILD)
mp: $(MP_BUILD)
storefront: h5 mp
console: $(CON_BUILD)

run: $(STAMP) $(H5_BUILD) $(CON_BUILD)
	$(BIN)/qingmall serve --demo

test: $(STAMP) $(H5_BUILD) $(MP_BUILD) $(CON_BUILD)
	$(BIN)/ruff check qingmall tests bench migrations
	cd $(SF) && npx jest --config tests-mp/jest.config.js
	cd $(CON) && npx vitest run && node scripts/bundle-report.mjs --check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# browser screenshots of the storefront into docs/screenshots/ (the browser tests write them there when asked)
screenshots: $(STAMP) $(H5_BUILD) $(CON_BUILD)
	QINGMALL_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -n 0 -p no:cacheprovider tests/browser

lint: $(STAMP)
	$(BIN)/ruff check qingmall tests bench migrations
	$(BIN)/ruff format --check qingmall tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(SF)/dist $(SF)/node_modules $(CON)/dist $(CON)/node_modules
