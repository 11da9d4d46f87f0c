# The front door. `make run` and `make test` install what is missing, build, and do their job.
#   make run         build optimised and run the whole suite on http://localhost:8000
#   make test        build with ASan+UBSan and run every test tier
#   make test-unit   one tier (also: test-service, test-gateway, test-e2e, test-schema, test-browser)
#   make fuzz        run the envelope decoder under libFuzzer (FUZZ_SECONDS, default 60)
#   make build       the optimised build only (build/release)
JOBS        ?= $(shell nproc)
RELEASE_DIR ?= build/release
TEST_DIR    ?= build/test
FUZZ_DIR    ?= build/fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test test-build test-unit test-service test-gateway test-e2e test-schema test-browser fuzz clean

all: build

deps:
	@tools/install-deps build run test
	@tools/npm-deps

build: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPIBUS_TESTS=OFF >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS)

run: build
	APIBUS_BIN_DIR=$(RELEASE_DIR) deploy/run-local

$(TEST_DIR)/CMakeCache.txt:
	cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPIBUS_SANITIZE=ON >/dev/null

test-build: deps $(TEST_DIR)/CMakeCache.txt
	cmake -S . -B $(TEST_DIR) >/dev/null
	cmake --build $(TEST_DIR) -j $(JOBS)

# Sanitizer settings for every test process: fail on the first error, report leaks of our code.
export ASAN_OPTIONS ?= abort_on_error=0:detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

test: test-build
	cd $(TEST_DIR) && ctest --output-on-failure --timeout 300
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

test-unit test-service test-gateway test-e2e test-schema test-browser: test-build
	cd $(TEST_DIR) && ctest --output-on-failure -L $(patsubst test-%,%,$@)

fuzz: deps
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=clang -DAPIBUS_FUZZ=ON -DAPIBUS_WERROR=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -g" >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_envelope
	mkdir -p $(FUZZ_DIR)/corpus
	@echo "fuzz: envelope decoder for $(FUZZ_SECONDS) s"
	@$(FUZZ_DIR)/tests/fuzz/fuzz_envelope -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  $(FUZZ_DIR)/corpus tests/fuzz/corpus > $(FUZZ_DIR)/fuzz.log 2>&1 \
	  || { tail -n 40 $(FUZZ_DIR)/fuzz.log; echo "fuzz: the decoder failed (crash input in ./crash-*)"; exit 1; }
	@grep -E '^Done [0-9]+ runs' $(FUZZ_DIR)/fuzz.log

clean:
	rm -rf build
