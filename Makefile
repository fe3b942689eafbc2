# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest vendor bench bench-quick fleet soak clean

# The join page's livekit-client and the tests' axe-core come from the npm registry,
# pinned and integrity-checked (scripts/fetch_vendor.py; not in git, shipped in wheels).
VENDOR_PINS := mockflow/web/vendor.json tests/vendor.json

$(STAMP): pyproject.toml $(VENDOR_PINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python scripts/fetch_vendor.py
	touch $(STAMP)

vendor: $(STAMP)  # again if a fetched file went missing (no network when all are there)
	$(BIN)/python scripts/fetch_vendor.py

demo: $(STAMP)
	$(BIN)/mockflow run interviews/backend.yaml --console --offline

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# on every core (pytest-xdist); PYTEST_ARGS for more, e.g. PYTEST_ARGS="--durations=30"
pytest: $(STAMP) vendor
	$(BIN)/python -m pytest -q -n auto --dist loadgroup $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --quick

fleet: $(STAMP)  # dispatch-scale simulation: 4 workers, a killed worker, the S3 store (loopback)
	$(BIN)/python benchmarks/fleet.py

# 50 concurrent simulated interviews against a faulty model and HTTP service (loopback only)
soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --sessions 50 --budget 900

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis mockflow/web/static/vendor tests/vendor
