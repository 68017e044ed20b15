# wasmq: `make run` starts a standalone broker with the example plugins; `make test` runs every test.
# Both do all set-up first (scripts/setup.sh is idempotent).

CARGO ?= cargo
STORE ?= $(CURDIR)/.wasmq-store

.PHONY: setup setup-tests build run test lint unit e2e bench fuzz clean

setup:
	scripts/setup.sh

setup-tests:
	scripts/setup.sh --tests

build:
	$(CARGO) build --release -p wasmq

## Set up, build, and run nameserver + broker in one process (ports 9876 / 10911).
run: setup build
	target/release/wasmq standalone --plugins plugins/dist --set pluginsBindings=conf/plugins.toml --set storePathRootDir=$(STORE) --set consolePort=9999 --set metricsExporterType=PROM

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	scripts/check-layering.sh

## Set up and run every test: lint, unit and property tests, plugin tests, end-to-end tests.
test: setup-tests lint
	$(CARGO) build -p wasmq
	$(CARGO) nextest run --workspace --no-fail-fast
	cd plugins && $(CARGO) test --workspace

bench:
	$(CARGO) bench --workspace

## Fuzz the frame and message decoders for FUZZ_SECONDS each (cargo-fuzz on stable via RUSTC_BOOTSTRAP).
FUZZ_SECONDS ?= 120
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd host/protocol && for t in frame_decode message_decode; do \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; done

clean:
	$(CARGO) clean
	rm -rf plugins/target plugins/dist $(STORE)
