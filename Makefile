# The two commands a fresh clone needs (see README.md). Python 3.11+ and pip are all they assume.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# What `make test` (and so .ci/run) prints before the tests, from the installed distributions.
MAIN_PACKAGES := ("dagster", "duckdb", "sqlalchemy", "duckdb-engine", "pyarrow", "pandas", "httpx", "graphql-core")

.PHONY: run test ui dashboard lint bench faults clean lock

# Installs come from the committed locks (exact versions, hashes, every platform we run on), so a
# fresh clone installs what the tests ran against whatever the package index serves that day.
# pip itself and setuptools (which builds the project) are locked too.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(TEST_STAMP): requirements-test.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(STAMP)

## Load the last 2 complete UTC days from the embedded sandbox tenant into ./data and summarize.
run: $(STAMP)
	$(BIN)/wxcc-warehouse load --last-days 2

## Test worker processes (pytest-xdist): the suite is CPU-bound and CI machines have two cores.
## TEST_WORKERS=0 runs every test in this one process (pdb, or a plain traceback order).
TEST_WORKERS ?= 2

## Run the test suite (exit 5, "no tests ran", is a failure in .ci/run), in a shuffled order:
## pytest-randomly prints its seed; replay an order with PYTEST_ARGS=--randomly-seed=N, or run
## in file order with PYTEST_ARGS='-p no:randomly'.
test: $(TEST_STAMP)
	@$(BIN)/python -c 'from importlib.metadata import version as v; print("installed from requirements-test.lock:", ", ".join(f"{p} {v(p)}" for p in $(MAIN_PACKAGES)))'
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; fi; \
	exit $$rc

## The Dagster UI on http://127.0.0.1:3000 against the sandbox, the last 2 days loaded.
ui: $(STAMP)
	$(BIN)/wxcc-warehouse ui

## The queue dashboard (Streamlit, its own environment) on http://127.0.0.1:8501, over the last
## two days loaded from the sandbox (or WXCC_API_URL); windows already loaded are skipped.
DASHBOARD_VENV := .venv-dashboard
DASHBOARD_PORT ?= 8501
$(DASHBOARD_VENV)/.installed: dashboard/requirements.txt
	$(PYTHON) -m venv $(DASHBOARD_VENV)
	$(DASHBOARD_VENV)/bin/pip install --quiet -r dashboard/requirements.txt
	touch $@

dashboard: $(STAMP) $(DASHBOARD_VENV)/.installed
	$(BIN)/wxcc-warehouse load --last-days 2 --source search
	$(DASHBOARD_VENV)/bin/streamlit run dashboard/app.py --server.headless true \
		--server.address 127.0.0.1 --server.port $(DASHBOARD_PORT) --browser.gatherUsageStats false

lint: $(TEST_STAMP)
	$(BIN)/ruff check pipelines warehouse sandbox queries tests bench
	$(BIN)/ruff format --check pipelines warehouse sandbox queries tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.bench_task_details

## Every fault case run to the end against truth; writes docs/reliability.md (not part of test).
## Its last line: "faults: N cases, E equal to truth, R failed loudly then recovered, ...".
faults: $(STAMP)
	@$(BIN)/python -m bench.faults --out docs/reliability.md $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache

## Refresh the locks after changing dependencies in pyproject.toml: keeps every pin that still
## fits; `make lock UPGRADE=1` moves every package to its newest release that fits the ranges.
UV_VERSION := 0.13.8
UV := $(VENV)/bin/uv
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip compile pyproject.toml requirements-build.in --extra test --extra postgres \
	  $(if $(UPGRADE),--upgrade) --universal --python-version 3.11 --generate-hashes --no-header \
	  --quiet -o requirements-test.lock
	$(UV) pip compile pyproject.toml requirements-build.in -c requirements-test.lock \
	  --universal --python-version 3.11 --generate-hashes --no-header --quiet -o requirements.lock
