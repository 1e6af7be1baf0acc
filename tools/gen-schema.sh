#!/usr/bin/env bash
# Generates TypeScript for Cap'n Proto schemas into OUTDIR, with the Debian `capnp` compiler,
# capnp-es's code generator (<name>.ts: structs) and ours, tools/capnpc-ww (<name>.rpc.ts: RPC stubs).
#   tools/gen-schema.sh OUTDIR                       # schema/*.capnp
#   tools/gen-schema.sh OUTDIR SRCDIR [RUNTIME]      # SRCDIR/*.capnp; RUNTIME = import path of src/rpc/generated.js from OUTDIR
set -euo pipefail
out=${1:?usage: gen-schema.sh OUTDIR [SRCDIR [RUNTIME]]}
src=${2:-schema}
export WW_RPC_RUNTIME=${3:-../rpc/generated.js}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
cd "$root"
capnp compile -o"node_modules/.bin/capnpc-ts:$out" --src-prefix="$src" "$src"/*.capnp
# capnp-es imports StreamResult from a module it does not ship, and also defines
# it locally in every file that uses `-> stream`: keep the local definition.
sed -i '/from "capnp-es\/capnp\/stream"/d' "$out"/*.ts
# our stub generator runs compiled (Node 20 cannot run .ts directly)
[ -f dist/tools/capnpc-ww/main.js ] || node_modules/.bin/tsc -p tsconfig.json >/dev/null || true
capnp compile -o"tools/capnpc-ww/capnpc-ww:$out" --src-prefix="$src" "$src"/*.capnp
