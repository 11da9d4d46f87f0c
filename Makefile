# The front door. `make run` and `make test` install what is missing, build, and do their job.
#   make run         build optimised and run the whole suite on http://localhost:8000
#   make test        build with ASan+UBSan and run every test tier
#   make test-unit   one tier (also: test-service, test-gateway, test-e2e, test-schema, test-browser,
#                    test-deploy: the compose file and the compose topology from namespaces; root)
#   make fuzz        run the libFuzzer targets (tests/fuzz/), FUZZ_SECONDS each (default 60): the
#                    envelope decoder, then the fragment announcement with schema-svc's registry;
#                    `make test` runs them 10 s each
#   make build       the optimised build only (build/release)
#   make web         build the demo front end (web/) into the static folder the gateway serves at /
#   make api-client  regenerate api-client/ from the offline schema dump of build/release
#   make build-api-client  regenerate it from the running suite's /api/schema/ (APIBUS_URL)
#   make bench       the optimised build side by side with bare h2o (wrk); writes docs/benchmarks.md
JOBS        ?= $(shell nproc)
RELEASE_DIR ?= build/release
TEST_DIR    ?= build/test
FUZZ_DIR    ?= build/fuzz
FUZZ_SECONDS ?= 60
STATIC_DIR  ?= $(or $(APIBUS_STATIC_DIR),static)
APIBUS_URL  ?= http://localhost:8000

.PHONY: all deps build run test test-build test-unit test-service test-gateway test-e2e test-schema test-client test-browser test-deploy fuzz clean \
        web api-client build-api-client bench

all: build

deps:
	@tools/install-deps build run test
	@tools/npm-deps
	@$(MAKE) --no-print-directory web

# The demo front end: web/'s pinned tooling (npm ci), then a Vite build into the static folder
# (index.html and app/; docs/ is left alone). Rebuilt when its sources or the client change.
web: $(STATIC_DIR)/index.html
web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@
$(STATIC_DIR)/index.html: web/node_modules/.package-lock.json web/index.html web/vite.config.ts web/tsconfig.json \
                          $(shell find web/src api-client/src -type f 2>/dev/null)
	rm -rf $(STATIC_DIR)/app
	cd web && APIBUS_STATIC_DIR=$(abspath $(STATIC_DIR)) npm run --silent build

# The TypeScript client, generated (tools/api-client-gen.mjs, api-client/openapi-ts.config.mjs).
api-client: build
	node tools/api-client-gen.mjs --bin-dir $(RELEASE_DIR)
build-api-client:
	@tools/npm-deps
	node tools/api-client-gen.mjs --url $(APIBUS_URL)

build: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPIBUS_TESTS=OFF >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS)

run: build
	APIBUS_BIN_DIR=$(RELEASE_DIR) deploy/run-local

# Not part of test: about two minutes of load on loopback; nothing asserts a time (tests/bench/run.sh).
bench: build
	@tools/install-deps bench
	APIBUS_BIN_DIR=$(RELEASE_DIR) tests/bench/run.sh

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
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

test-unit test-service test-gateway test-e2e test-schema test-client test-browser test-deploy: test-build
	cd $(TEST_DIR) && ctest --output-on-failure -L $(patsubst test-%,%,$@)

# One target after the other, each growing its corpus in $(FUZZ_DIR) from its seeds in tests/fuzz/. The
# schema registry logs every announcement to stderr: -close_fd_mask=2 drops that, not libFuzzer's or
# the sanitizers' reports. The announcement's max_len leaves room for a real fragment (employees: 20 kB).
fuzz: deps
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=clang -DAPIBUS_FUZZ=ON -DAPIBUS_WERROR=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -g" >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_envelope fuzz_announce
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/corpus-announce
	@echo "fuzz: envelope decoder for $(FUZZ_SECONDS) s"
	@$(FUZZ_DIR)/tests/fuzz/fuzz_envelope -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  $(FUZZ_DIR)/corpus tests/fuzz/corpus > $(FUZZ_DIR)/fuzz.log 2>&1 \
	  || { tail -n 40 $(FUZZ_DIR)/fuzz.log; echo "fuzz: the decoder failed (crash input in ./crash-*)"; exit 1; }
	@grep -E '^Done [0-9]+ runs' $(FUZZ_DIR)/fuzz.log
	@echo "fuzz: announcement decoder and schema registry for $(FUZZ_SECONDS) s"
	@$(FUZZ_DIR)/tests/fuzz/fuzz_announce -max_total_time=$(FUZZ_SECONDS) -max_len=32768 -close_fd_mask=2 \
	  $(FUZZ_DIR)/corpus-announce tests/fuzz/corpus-announce > $(FUZZ_DIR)/fuzz-announce.log 2>&1 \
	  || { tail -n 40 $(FUZZ_DIR)/fuzz-announce.log; echo "fuzz: the announcement decoder or schema registry failed (crash input in ./crash-*)"; exit 1; }
	@grep -E '^Done [0-9]+ runs' $(FUZZ_DIR)/fuzz-announce.log

clean:
	rm -rf build
