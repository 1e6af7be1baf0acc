#!/usr/bin/env bash
# Builds what bin/ww runs for the client commands, from the compiled tree in dist/ (after tsc):
#   dist/cli/ww.js     every module of the CLI in one file (loading ~70 modules one by one cost `ww ls`
#                      more than its work); `ww start` still loads the node from dist/src (cmd/start.ts)
#   dist/cli/ww-start.js  what `ww start` runs: the command line and the node in one file (and its module
#                      transform worker, dist/cli/transform-worker.js)
#   dist/cli/ww.blob   a V8 startup snapshot of the same, taken after its modules have loaded; a command
#                      started from it skips loading them. Optional: if this node cannot build it, bin/ww
#                      uses dist/cli/ww.js.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
esbuild=node_modules/.bin/esbuild
common=(--bundle --minify-whitespace --minify-syntax --platform=node --target=node20 --log-level=warning)
rm -rf dist/cli
# commander is CommonJS: the ES module bundle needs a `require`.
"$esbuild" dist/cmd/ww.js "${common[@]}" --format=esm --outfile=dist/cli/ww.js \
  --banner:js="import { createRequire as wwCreateRequire } from 'node:module'; const require = wwCreateRequire(import.meta.url);"
# `ww start`: the command line and the node in one bundle (cmd/start-entry.ts), and the module transform's worker
# beside it (src/proc/transform-worker.ts starts ./transform-worker.js, transform-child.ts ./transform-child.js). Only
# those load the transform and binaryen, on the first transform: the node's bundle leaves them out (esbuild would
# hoist binaryen's import to its top; checked below).
require_banner="import { createRequire as wwCreateRequire } from 'node:module'; const require = wwCreateRequire(import.meta.url);"
# It is built by tools/bundle-start.mjs (esbuild's API: it swaps noise's WASM crypto module for node:crypto's).
node tools/bundle-start.mjs dist/cli/ww-start.js "$require_banner"
if grep -Eq 'from ?"binaryen"|^import ?"binaryen"' dist/cli/ww-start.js; then
  echo "build-cli: dist/cli/ww-start.js imports binaryen at load: see --external above" >&2; exit 1
fi
for helper in transform-worker transform-child; do
  "$esbuild" dist/src/proc/$helper.js "${common[@]}" --format=esm --outfile=dist/cli/$helper.js \
    --external:binaryen --banner:js="$require_banner"
done
# A snapshot entry must be one CommonJS script; import.meta.url becomes this file's URL.
"$esbuild" dist/cmd/snapshot.js "${common[@]}" --format=cjs --outfile=dist/cli/snapshot.cjs \
  --define:import.meta.url=wwModuleUrl --banner:js="const wwModuleUrl = require('node:url').pathToFileURL(__filename).href;"
# Node warns that child_process (loaded by commander) and readline (ww send) are "not yet fully
# verified" in snapshots; neither keeps state from its load that the CLI uses (test/cmd runs every
# command through bin/ww, hence from the snapshot). A snapshot cannot import() at run time.
if ! out=$(cd dist/cli && node --snapshot-blob ww.blob --build-snapshot snapshot.cjs 2>&1); then
  rm -f dist/cli/ww.blob
  echo "note: no CLI startup snapshot on this node ($(node --version)); bin/ww uses dist/cli/ww.js" >&2
  printf '%s\n' "$out" | grep -v -e 'not yet fully verified' -e 'may still work' -e 'issue tracker' -e 'trace-warnings' >&2 || true
fi
# The web console's page (ww start --ui), bundled for the browser.
tools/build-ui.sh
