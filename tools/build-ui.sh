#!/usr/bin/env bash
# Builds the web console's page (ww start --ui) from the compiled tree (after tsc): dist/console/index.html,
# dist/console/console.css and dist/console/console.js, the page's code (ui/) with the project's own RPC code and generated schema clients,
# bundled for the browser. The RPC code expects two things of node (process.nextTick, setImmediate) and its
# logger imports node:util: ui/shims stands in for them, and nothing else of node may reach the bundle (checked).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=dist/console
rm -rf "$out"
mkdir -p "$out"
node_modules/.bin/esbuild dist/ui/main.js --bundle --minify --platform=browser --format=esm --target=es2022 \
  --inject:dist/ui/shims/node-globals.js --alias:node:util=./dist/ui/shims/node-util.js \
  --legal-comments=none --log-level=warning --outfile="$out/console.js"
if grep -Eq '"node:|from ?"(net|fs|os|util|crypto|stream|path)"' "$out/console.js"; then
  echo "build-ui: $out/console.js imports a node module: the page's code must stay browser-safe" >&2; exit 1
fi
cp ui/index.html ui/console.css "$out/"
