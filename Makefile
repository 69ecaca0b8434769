# hpki entry points. Every target installs the Debian packages it needs first.
.PHONY: all build run test test-asan bench fuzz format format-check deps clean

JOBS ?= $(shell nproc)

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

run: build
	@bash scripts/run.sh

test: build
	@ctest --preset dev -j $(JOBS); rc=$$?; \
	  for f in build/conformance/pkits.txt build/conformance/limbo.txt; do \
	    [ -f $$f ] && head -n 1 $$f; done; exit $$rc

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS) -L 'unit|fuzz'

bench: deps
	@bash scripts/install-deps.sh --bench
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@bash bench/run.sh build-release

fuzz:
	@bash scripts/install-deps.sh --fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@echo "fuzz targets in build-fuzz/fuzz/; run e.g. (new inputs go to the first directory):"
	@echo "  mkdir -p /tmp/corpus && build-fuzz/fuzz/fuzz_pem -max_total_time=60 /tmp/corpus fuzz/corpus/pem"

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

format-check: deps
	@git ls-files '*.h' '*.cpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build build-asan build-release build-fuzz
