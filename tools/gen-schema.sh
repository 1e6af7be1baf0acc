#!/usr/bin/env bash
# Generates TypeScript for schema/*.capnp into the folder given as $1, with the
# Debian `capnp` compiler and capnp-es's code generator.
set -euo pipefail
out=${1:?usage: gen-schema.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
cd "$root"
capnp compile -o"node_modules/.bin/capnpc-ts:$out" --src-prefix=schema schema/*.capnp
# capnp-es imports StreamResult from a module it does not ship, and also defines
# it locally in every file that uses `-> stream`: keep the local definition.
sed -i '/from "capnp-es\/capnp\/stream"/d' "$out"/*.ts
