#!/usr/bin/env bash
# The independent client: generates TypeScript types from the contract
# (openapi-typescript), type-checks and compiles flows.ts against them
# (tsc, strict), and runs it against the test stack (node).
#
#   tests/client/run.sh OUT_DIR      (ctest: client.flows)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=$ROOT/tools/contract/node_modules/.bin
OUT=$1
rm -rf "$OUT" && mkdir -p "$OUT"
"$TOOLS/openapi-typescript" "$ROOT/proto-docs/openapi.yaml" \
    -o "$OUT/api.d.ts" >/dev/null
cp "$ROOT/tests/client/flows.ts" "$OUT/"
cat >"$OUT/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "strict": true, "noEmitOnError": true, "target": "es2022",
    "module": "nodenext", "moduleResolution": "nodenext",
    "typeRoots": ["$ROOT/tools/contract/node_modules/@types"],
    "types": ["node"], "skipLibCheck": true, "outDir": "$OUT/js"
  },
  "files": ["$OUT/flows.ts"]
}
JSON
# openapi-fetch is found next to the tools.
ln -sfn "$ROOT/tools/contract/node_modules" "$OUT/node_modules"
"$TOOLS/tsc" -p "$OUT/tsconfig.json"
node "$OUT/js/flows.js"
