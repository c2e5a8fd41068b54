#!/usr/bin/env bash
# Measures what the closing notes report: the release bundle (wasm + js + css; raw, gzip,
# brotli) and, with --build, a warm rebuild after touching the app crate.
# Uses Node's zlib, so nothing extra is installed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
if [ "${1:-}" = "--build" ]; then
  bash server/scripts/setup.sh
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
  cargo leptos build --release --precompress >/dev/null 2>&1
  touch app/src/lib.rs
  start=$(date +%s%N)
  cargo leptos build --release --precompress >/dev/null 2>&1
  echo "warm release rebuild after touching app/src/lib.rs: $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi
node --input-type=module -e '
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
const pkg = "target/site/pkg";
// The build output, fingerprinted (lunapanel.<hash>.wasm) or not.
const names = readdirSync(pkg).filter((f) => /^lunapanel(\.[A-Za-z0-9_-]{22})?\.(wasm|js|css)$/.test(f)).sort();
let total = [0, 0, 0, 0];
for (const f of names) {
  const b = readFileSync(`${pkg}/${f}`);
  const gz = gzipSync(b, { level: 9 }).length;
  const br = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  // What the panel sends: the precompressed file the build made, if any.
  const served = existsSync(`${pkg}/${f}.br`) ? readFileSync(`${pkg}/${f}.br`).length : b.length;
  total = [total[0] + b.length, total[1] + gz, total[2] + br, total[3] + served];
  console.log(`${f.padEnd(40)} raw ${String(b.length).padStart(9)}  gzip ${String(gz).padStart(8)}  brotli ${String(br).padStart(8)}  served(br) ${String(served).padStart(8)}`);
}
console.log(`${"total".padEnd(40)} raw ${String(total[0]).padStart(9)}  gzip ${String(total[1]).padStart(8)}  brotli ${String(total[2]).padStart(8)}  served(br) ${String(total[3]).padStart(8)}`);
'
