# The two commands of README.md: `make demo` and `make test`. Both set up what they need
# (Debian packages, .venv, the package editable with its C core) and are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages per stage; only what that stage needs.
DEBS_BUILD := gcc make libssl-dev pkg-config
DEBS_TEST  := pcscd vsmartcard-vpcd swig libpcsclite-dev fonts-ocr-b tesseract-ocr

export OMP_THREAD_LIMIT := 1

.PHONY: demo test fuzz valgrind lint typecheck pytest bench setup setup-dev clean

demo: $(VENV)/.installed
	$(BIN)/mrtd demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks tools fuzz
	$(BIN)/ruff format --check src tests benchmarks tools fuzz
	$(BIN)/mypy
	MRTD_REQUIRE_NATIVE=1 MRTD_REQUIRE_INTEROP=1 $(BIN)/python -m pytest -q
	scripts/sanitize-test.sh

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

$(VENV)/.debs-build:
	scripts/ensure-debs.sh $(DEBS_BUILD) $$(scripts/python-debs.sh $(PYTHON))
	@mkdir -p $(VENV) && touch $@

$(VENV)/bin/python: | $(VENV)/.debs-build
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml src/mrtd/crypto/_core.c src/mrtd/crypto/_ec.c $(VENV)/.debs-build | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[image]'  # the demo starts from a photo (OpenCV)
	@touch $@

$(VENV)/.installed-dev: pyproject.toml src/mrtd/crypto/_core.c src/mrtd/crypto/_ec.c $(VENV)/.debs-build | $(VENV)/bin/python
	[ -z "$(DEBS_TEST)" ] || scripts/ensure-debs.sh $(DEBS_TEST)
	$(BIN)/python -m pip install -q -e '.[dev,nfc,pcsc,image]'
	@touch $@ $(VENV)/.installed

# Coverage-guided fuzzing (atheris), every harness of fuzz/ for FUZZ_SECONDS each (default 600),
# then the C cores' harnesses against ASan+UBSan builds; `make test` runs a short smoke of each.
fuzz: $(VENV)/.installed-dev
	scripts/fuzz.sh
	scripts/fuzz.sh --sanitize

# The C cores' tests under valgrind memcheck (several minutes).
valgrind: $(VENV)/.installed-dev
	scripts/ensure-debs.sh valgrind
	scripts/valgrind-test.sh

bench: $(VENV)/.installed
	benchmarks/run.sh
	$(BIN)/python benchmarks/bench_sm.py
	$(BIN)/python benchmarks/bench_read.py
	$(BIN)/python benchmarks/bench_ec.py
	$(BIN)/python benchmarks/bench_pace.py
	$(BIN)/python benchmarks/bench_passive.py
	$(BIN)/python benchmarks/bench_clone.py

clean:
	rm -rf $(VENV) .venv-bench .venv-bench-ocr build src/*.egg-info src/mrtd/crypto/*.so .mypy_cache .pytest_cache .ruff_cache
