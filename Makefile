# The two commands a fresh clone needs (see README.md). Python 3.11+ and pip are all they assume.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test ui dashboard lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

## Load the last 2 complete UTC days from the embedded sandbox tenant into ./data and summarize.
run: $(STAMP)
	$(BIN)/wxcc-warehouse load --last-days 2

## Run the test suite (exit 5, "no tests ran", is a failure in .ci/run).
test: $(TEST_STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
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

clean:
	rm -rf $(VENV) data .pytest_cache
