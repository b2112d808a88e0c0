# make run: set everything up and solve the flagship instance; make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLAGSHIP ?= instances/gulf_coast_2026
BASELINE ?= sanctions_2025
CASE ?= open_venezuela
RESULTS := results/$(notdir $(FLAGSHIP))

.PHONY: run test install lint docs golden clean report bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/crudeslate validate $(FLAGSHIP)
	$(BIN)/crudeslate solve $(FLAGSHIP) --all-scenarios --baseline $(BASELINE)

test: $(STAMP)
	$(BIN)/python -m pytest -rs

# each benchmark rewrites its section of benchmarks/RESULTS.md: the sweep, the scaled instances, the core solve path
bench: $(STAMP)
	$(BIN)/python benchmarks/sweep_benchmark.py --write-results
	$(BIN)/python benchmarks/scaled_benchmark.py --write-results
	$(BIN)/python benchmarks/core_times.py --write-results

lint: $(STAMP)
	$(BIN)/ruff check optimizer tests benchmarks instances

docs: $(STAMP)
	$(BIN)/python -m optimizer.docs

report: run
	$(BIN)/crudeslate compare $(RESULTS)/$(BASELINE) $(RESULTS)/$(CASE)
	$(BIN)/crudeslate report $(RESULTS)/$(CASE) --compare $(RESULTS)/$(BASELINE) --out $(RESULTS)/report-$(CASE)-vs-$(BASELINE).html

clean:
	rm -rf $(VENV) results/*/ .pytest_cache

golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_gulf_coast.py
