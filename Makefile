# The two commands of README.md: `make demo` and `make test`. Both set up what they need
# (Debian packages, .venv with the exact, hashed versions of requirements/*.txt, the package
# editable with its C core) and are idempotent. `make lock` refreshes those files;
# `make test-latest` runs the suite on the newest versions pyproject.toml's ranges allow.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCKS  := requirements
# pip as the locks want it: exact versions and hashes, nothing resolved at install time.
PIP_LOCKED := $(BIN)/python -m pip install -q --require-hashes --no-deps --no-build-isolation
# mrtd itself, editable (pip cannot hash a source tree): its dependencies come from a lock.
PIP_MRTD   := $(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
# Debian packages per stage; only what that stage needs.
DEBS_BUILD := gcc make libssl-dev pkg-config
DEBS_TEST  := pcscd vsmartcard-vpcd swig libpcsclite-dev fonts-ocr-b tesseract-ocr postgresql

export OMP_THREAD_LIMIT := 1

.PHONY: demo test test-latest lock fuzz valgrind lint typecheck pytest bench setup setup-dev clean

demo: $(VENV)/.installed
	$(BIN)/mrtd demo

test: $(VENV)/.installed-dev
	$(BIN)/python scripts/check-lock.py $(LOCKS)/build.txt $(LOCKS)/test.txt
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

# pip and setuptools first: the other locked packages and mrtd build with them (no isolation,
# so nothing unpinned is fetched to build pyscard's or mrtd's C code).
$(VENV)/.installed-build: $(LOCKS)/build.txt | $(VENV)/bin/python
	$(PIP_LOCKED) -r $(LOCKS)/build.txt
	@touch $@

# The demo starts from a photo (OpenCV: the image extra).
$(VENV)/.installed: pyproject.toml $(LOCKS)/demo.txt src/mrtd/crypto/_core.c src/mrtd/crypto/_ec.c $(VENV)/.debs-build $(VENV)/.installed-build
	$(PIP_LOCKED) -r $(LOCKS)/demo.txt
	$(PIP_MRTD)
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(LOCKS)/test.txt src/mrtd/crypto/_core.c src/mrtd/crypto/_ec.c $(VENV)/.debs-build $(VENV)/.installed-build
	[ -z "$(DEBS_TEST)" ] || scripts/ensure-debs.sh $(DEBS_TEST)
	$(PIP_LOCKED) -r $(LOCKS)/test.txt
	$(PIP_MRTD)
	@touch $@ $(VENV)/.installed

# Refresh the locks to the newest versions pyproject.toml's ranges allow (uv: see
# requirements/README.md). Commit the result after `make test` passes on it.
UV_VERSION := 0.13.9
UV_COMPILE := .venv-lock/bin/uv pip compile -q --upgrade --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock'
lock:
	[ -x .venv-lock/bin/uv ] || { $(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install -q uv==$(UV_VERSION); }
	$(UV_COMPILE) $(LOCKS)/build.in -o $(LOCKS)/build.txt
	$(UV_COMPILE) pyproject.toml --extra dev --extra nfc --extra pcsc --extra image --extra ocr --extra service --extra postgres --extra face \
		-o $(LOCKS)/test.txt
	$(UV_COMPILE) pyproject.toml --extra image -c $(LOCKS)/test.txt -o $(LOCKS)/demo.txt

# The suite on the newest releases the ranges allow, in its own venv: what the next release
# of a dependency breaks, seen on purpose. Not part of `make test`; the locks stay as they are.
VENV_LATEST := .venv-latest
test-latest: $(VENV)/.debs-build
	[ -z "$(DEBS_TEST)" ] || scripts/ensure-debs.sh $(DEBS_TEST)
	$(PYTHON) -m venv --clear $(VENV_LATEST)
	$(VENV_LATEST)/bin/python -m pip install -q --upgrade pip setuptools
	$(VENV_LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager \
		-e '.[dev,nfc,pcsc,image,ocr,service,postgres,face]'
	$(VENV_LATEST)/bin/python scripts/check-lock.py --report $(LOCKS)/test.txt
	MRTD_REQUIRE_NATIVE=1 MRTD_REQUIRE_INTEROP=1 $(VENV_LATEST)/bin/python -m pytest -q -p no:cacheprovider

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
	rm -rf $(VENV) $(VENV_LATEST) .venv-lock .venv-bench .venv-bench-ocr build src/*.egg-info src/mrtd/crypto/*.so .mypy_cache .pytest_cache .ruff_cache
