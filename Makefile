# ww: `make start` runs a node, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Debian packages the build and the tests need (C++ Cap'n Proto reference, WASM guest toolchain).
APT_PACKAGES := capnproto libcapnp-dev pkg-config g++ clang lld wasi-libc libclang-rt-dev-wasm32 iproute2
CAPNPC_TS := node_modules/.bin/capnpc-ts
SCHEMAS := $(wildcard schema/*.capnp)
MOCHA := node_modules/.bin/mocha

.PHONY: deps apt build schema schema-check test start bench clean

deps: apt node_modules/.ww-installed

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
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

build: node_modules/.ww-installed
	node_modules/.bin/tsc -p tsconfig.json

# Regenerate the TypeScript for schema/*.capnp (committed under src/schema/).
schema: deps
	tools/gen-schema.sh src/schema

# The committed generated code must match what `make schema` produces.
schema-check: deps
	@tmp=$$(mktemp -d); tools/gen-schema.sh $$tmp >/dev/null && \
	diff -r -q src/schema $$tmp >/dev/null || { echo "src/schema is out of date: run 'make schema' and commit"; diff -r src/schema $$tmp | head -20; rm -rf $$tmp; exit 1; }; \
	rm -rf $$tmp; echo "schema: generated code is up to date"

test: deps build schema-check
	$(MOCHA)

start: deps build
	./bin/ww start $(ARGS)

bench: deps build
	@echo "no benchmarks yet"

clean:
	rm -rf dist
