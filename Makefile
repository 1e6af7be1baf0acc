# ww: `make start` runs a node, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Debian packages the build and the tests need (C++ Cap'n Proto reference, WASM guest toolchain, and binaryen:
# its native wasm-opt prepares guests about twice as fast as binaryen.js, which ww falls back to without it).
APT_PACKAGES := capnproto libcapnp-dev pkg-config g++ clang lld wasi-libc libclang-rt-dev-wasm32 iproute2 binaryen chromium
CAPNPC_TS := node_modules/.bin/capnpc-ts
SCHEMAS := $(wildcard schema/*.capnp)
MOCHA := node_modules/.bin/mocha

.PHONY: deps apt build cli schema schema-check test start install uninstall bench clean

deps: apt node_modules/.ww-installed

apt:
	@missing=$$(for p in $(APT_PACKAGES); do echo $$p; done | grep -vxF -f <(dpkg-query -W -f='$${db:Status-Status} $${Package}\n' $(APT_PACKAGES) 2>/dev/null | sed -n 's/^installed //p' | sed 's/:.*//')); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages (install them as root: apt-get install" $$missing")"; exit 1; \
	  fi; \
	fi

node_modules/.ww-installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Builds only what changed: tsc runs when a source is newer than its last run (and compiles incrementally, keeping
# its state in dist/tsconfig.tsbuildinfo); the CLI bundle and snapshot are remade only when the compiled modules
# they pack changed, which a second make lists once tsc has run. With nothing changed, build does nothing.
TS_SOURCES := $(shell find src cmd ui lib test bench tools -name '*.ts')
BUILT := dist/.built
# A dist/ emptied by hand must not keep the stamp and the state that tell make and tsc their outputs are current.
$(if $(wildcard dist/cmd/ww.js),,$(shell rm -f $(BUILT) dist/tsconfig.tsbuildinfo dist/tsconfig.lib.tsbuildinfo))

build: $(BUILT)
	@$(MAKE) --no-print-directory cli

$(BUILT): $(TS_SOURCES) tsconfig.json tsconfig.lib.json node_modules/.ww-installed
	node_modules/.bin/tsc -p tsconfig.json --incremental
	node_modules/.bin/tsc -p tsconfig.lib.json --incremental --tsBuildInfoFile dist/tsconfig.lib.tsbuildinfo
	@touch $@

cli: dist/cli/ww.js dist/console/console.js
	@:

dist/cli/ww.js: $(shell find dist/cmd dist/src -name '*.js' 2>/dev/null)
	tools/build-cli.sh

# The web console's page (ww start --ui); tools/build-cli.sh builds it too.
dist/console/console.js: $(shell find dist/ui dist/src -name '*.js' 2>/dev/null) ui/index.html ui/console.css
	tools/build-ui.sh

# Generated TypeScript, committed: OUTDIR:SCHEMADIR:path of src/rpc/generated.js (the generated code's entry) from OUTDIR.
GENERATED := src/schema:schema:../rpc/generated.js \
  test/rpc/gen:test/rpc/schema:../../../src/rpc/generated.js \
  test/rpc/interop/gen:test/rpc/interop:../../../../src/rpc/generated.js

# Regenerate the TypeScript for every schema (schema/*.capnp and the test schemas).
schema: deps
	@for g in $(GENERATED); do IFS=: read -r out src rt <<< "$$g"; tools/gen-schema.sh $$out $$src $$rt >/dev/null || exit 1; echo "generated $$out"; done

# The committed generated code must match what `make schema` produces.
schema-check: deps
	@for g in $(GENERATED); do IFS=: read -r out src rt <<< "$$g"; tmp=$$(mktemp -d); \
	  tools/gen-schema.sh $$tmp $$src $$rt >/dev/null && diff -r -q -x README.md $$out $$tmp >/dev/null || \
	  { echo "$$out is out of date: run 'make schema' and commit"; diff -r -x README.md $$out $$tmp | head -20; rm -rf $$tmp; exit 1; }; \
	  rm -rf $$tmp; done; echo "schema: generated code is up to date"

test: deps build schema-check guests cpp-client
	$(MOCHA)

# `make start ARGS="--listen /ip4/0.0.0.0/tcp/4001 --meta zone=lab"` passes ARGS to ww start. It needs no Debian package.
start: build
	./bin/ww start $(ARGS)

# Puts `ww` on PATH: a symlink to bin/ww in BINDIR (/usr/local/bin for root, else ~/.local/bin).
BINDIR ?= $(if $(filter 0,$(shell id -u)),/usr/local/bin,$(HOME)/.local/bin)
install: build
	@link="$(BINDIR)/ww"; target="$(CURDIR)/bin/ww"; \
	if [ -e "$$link" ] && [ ! -L "$$link" ]; then echo "make install: $$link exists and is not a symlink; remove it or give another BINDIR=DIR" >&2; exit 1; fi; \
	mkdir -p "$(BINDIR)" && ln -sfn "$$target" "$$link" || exit 1; \
	echo "installed $$link -> $$target"; \
	case ":$$PATH:" in *":$(BINDIR):"*) echo "$(BINDIR) is on PATH: try 'ww help'" ;; \
	  *) echo "$(BINDIR) is not on PATH: add it, e.g. echo 'export PATH=\"$(BINDIR):\$$PATH\"' >> ~/.profile" ;; esac

# Removes the symlink make install made (only if it points to this checkout's bin/ww).
uninstall:
	@link="$(BINDIR)/ww"; \
	if [ ! -L "$$link" ]; then echo "nothing to remove: $$link is not a symlink made by make install"; \
	elif [ "$$(readlink "$$link")" != "$(CURDIR)/bin/ww" ]; then echo "make uninstall: $$link points to $$(readlink "$$link"), not to this checkout; left alone" >&2; exit 1; \
	else rm -f "$$link" && echo "removed $$link"; fi

# Every benchmark; each prints its figures as ratios against a reference measured in the same run.
bench: bench-rpc bench-cluster bench-scale bench-chan bench-proc bench-deploy

# Channels: local messages/s; remote send->recv between two nodes against a raw libp2p stream;
# walk+load+send pipelined against one plain round trip: in one process, then between `ww start` nodes with
# client and node on one vCPU and on two, beside the C++ Cap'n Proto reference timing the same pattern.
.PHONY: bench-chan
bench-chan: deps build
	node --import ./dist/src/polyfill.js dist/bench/chan/local.js
	node --import ./dist/src/polyfill.js dist/bench/anchor/pipelined.js
	node --import ./dist/src/polyfill.js dist/bench/anchor/nodes.js
	node --import ./dist/src/polyfill.js dist/bench/chan/remote.js
	node --import ./dist/src/polyfill.js dist/bench/chan/unix.js

# RPC latency and pipelined throughput: TS<->TS, C++<->C++ and TS -> C++ (last lines: the two ratios).
# First, bytes per call that reach the old generation (against a promise hand-off's).
.PHONY: bench-rpc
bench-rpc: deps build
	node --expose-gc --import ./dist/src/polyfill.js dist/bench/rpc/promotion.js
	node --import ./dist/src/polyfill.js dist/bench/rpc/run.js
	node --import ./dist/src/polyfill.js dist/bench/host/metrics-overhead.js

# Guest programs (guest/examples) built with the SDKs into guest/build/ (gitignored).
GUEST_C := hello echo ping fanout loop membomb badptr idle cat deep forkbomb calls pool tree supervisor echo-service echo-client environ
GUEST_AS := hello calls tree echo-client
GUEST_CFLAGS := --target=wasm32-wasi -O2 -Iguest/c
ASC := node_modules/.bin/asc
ASC_FLAGS := --runtime stub --exportStart _start --use abort=guest/as/ww/abort -O3
.PHONY: guests
guests: $(GUEST_C:%=guest/build/%.wasm) $(GUEST_AS:%=guest/build/%-as.wasm) guest/build/plain-yield.wasm

# A plain wasi-libc program, without the SDK.
guest/build/plain-%.wasm: guest/examples/plain-%.c
	@mkdir -p guest/build
	clang $(GUEST_CFLAGS) -o $@ $<

guest/build/%.wasm: guest/examples/%.c guest/c/ww.c guest/c/ww.h
	@mkdir -p guest/build
	clang $(GUEST_CFLAGS) -o $@ $< guest/c/ww.c

guest/build/%-as.wasm: guest/examples/%.ts guest/as/ww.ts
	@mkdir -p guest/build
	$(ASC) $< $(ASC_FLAGS) -o $@

# The C++ example client (examples/clients/cpp/client.c++), built against the shipped schema with Debian's libcapnp:
# the schema's C++ goes to examples/clients/cpp/build/gen (not committed), the program to examples/clients/cpp/build/ww-client.
# Run it as: examples/clients/cpp/build/ww-client <home>/api.sock guest/build/hello.wasm
CPP_CLIENT_DIR := examples/clients/cpp
CPP_CLIENT := $(CPP_CLIENT_DIR)/build/ww-client
.PHONY: cpp-client
cpp-client: $(CPP_CLIENT)

$(CPP_CLIENT): $(CPP_CLIENT_DIR)/client.c++ $(SCHEMAS)
	@rm -rf $(CPP_CLIENT_DIR)/build/gen && mkdir -p $(CPP_CLIENT_DIR)/build/gen
	capnp compile -oc++:$(CPP_CLIENT_DIR)/build/gen --src-prefix=schema $(SCHEMAS)
	g++ -O1 -std=c++17 -I$(CPP_CLIENT_DIR)/build/gen -o $@.tmp $< $(CPP_CLIENT_DIR)/build/gen/*.capnp.c++ $$(pkg-config --cflags --libs capnp-rpc)
	@mv $@.tmp $@

# Procs: the first `ww run` of an uncached module through the CLI (proc.cold_start_s) against plain compile and the
# cached run; spawn to the guest running, back to back and after idling, against plain instantiation; idle procs per
# GiB; guest-to-guest ping-pong on one node against JS tasks and across two nodes against plain RPC; max idle procs.
.PHONY: bench-proc
bench-proc: deps build guests
	node --disable-wasm-trap-handler --expose-gc --import ./dist/src/polyfill.js dist/bench/proc/run.js

clean:
	rm -rf dist

# Cluster as users run it: every node its own `ww start` process, N = 5, 10, 20 (WW_BENCH_NODES=5,10,40 to choose):
# cluster.procs.* (convergence, CPU, idle CPU and traffic, RSS per node process, the CPU of a new connection, leave
# and kill seen; see bench/cluster/procs.ts); the same for plain libp2p processes (bench/cluster/libp2p-floor.ts:
# idle on as many connections, and a new connection). Then, labelled cluster.inprocess.*, all nodes in one process after module loading
# (WW_BENCH_PROCS=N: N worker processes), RPC over a libp2p stream against the raw stream echo, `ww ls /` wall time.
.PHONY: bench-cluster
bench-cluster: deps build
	node --import ./dist/src/polyfill.js dist/bench/cluster/procs.js
	node --import ./dist/src/polyfill.js dist/bench/cluster/libp2p-floor.js
	node --import ./dist/src/polyfill.js dist/bench/cluster/converge.js

# SWIM membership at 1,000 and 10,000 hosts, simulated in one process (the real protocol code, records and encoding
# over an in-memory network with 1-5 ms latency and 1 % loss, on a simulated clock): bytes and messages per host per
# second, a join and a failure known by 99 % of 1,000 hosts, false suspicions per hour. About 2 minutes.
# Deployments on 20 `ww start` processes: 100 replicas placed and running after `ww deploy`, and rescheduled after a
# kill -9, with the TTL and references beside them (bench/deploy/run.ts).
.PHONY: bench-deploy
bench-deploy: deps build guests
	node --import ./dist/src/polyfill.js dist/bench/deploy/run.js

.PHONY: bench-scale
bench-scale: deps build
	node --import ./dist/src/polyfill.js dist/bench/cluster/scale.js
