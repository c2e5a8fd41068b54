#!/usr/bin/env bash
# Measures what the closing notes report: the release bundle (wasm + js + css; raw, gzip,
# brotli; the split chunks listed separately), with --build a warm rebuild after touching the
# app crate, and with --browser what Chromium transfers for a first visit (sign-in, overview)
# and what each area adds (a demo-mode panel from target/debug/lunapanel serves target/site).
# Uses Node's zlib, so nothing extra is installed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
BROWSER=0
if [ "${1:-}" = "--browser" ]; then BROWSER=1; shift; fi
if [ "${1:-}" = "--build" ]; then
  bash server/scripts/setup.sh
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  bash server/scripts/build-site.sh >/dev/null 2>&1
  touch app/src/lib.rs
  start=$(date +%s%N)
  bash server/scripts/build-site.sh >/dev/null 2>&1
  echo "warm release rebuild after touching app/src/lib.rs: $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi
node --input-type=module -e '
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
const pkg = "target/site/pkg";
// The build output, fingerprinted (lunapanel.<hash>.wasm) or not, and the split chunks in the
// directory named by the build (pkg/<build>/chunk_N.wasm, see finish-site.mjs).
const built = (dir, prefix) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? built(`${dir}/${e.name}`, `${prefix}${e.name}/`)
    : /\.(wasm|js|css)$/.test(e.name) ? [`${prefix}${e.name}`] : []);
const all = built(pkg, "").sort();
// What a first visit loads (the main script, module and stylesheet, and the split loader the
// module imports) first, then the split chunks.
const main = (f) => /^(lunapanel|__wasm_split)(\.[A-Za-z0-9_-]{22})?\.(wasm|js|css)$/.test(f);
const names = [...all.filter(main), ...all.filter((f) => !main(f))];
let total = [0, 0, 0, 0];
for (const f of names) {
  const b = readFileSync(`${pkg}/${f}`);
  const gz = gzipSync(b, { level: 9 }).length;
  const br = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  // What the panel sends: the precompressed file the build made, if any.
  const served = existsSync(`${pkg}/${f}.br`) ? readFileSync(`${pkg}/${f}.br`).length : b.length;
  if (main(f)) total = [total[0] + b.length, total[1] + gz, total[2] + br, total[3] + served];
  console.log(`${f.padEnd(40)} raw ${String(b.length).padStart(9)}  gzip ${String(gz).padStart(8)}  brotli ${String(br).padStart(8)}  served(br) ${String(served).padStart(8)}`);
}
console.log(`${"main bundle".padEnd(40)} raw ${String(total[0]).padStart(9)}  gzip ${String(total[1]).padStart(8)}  brotli ${String(total[2]).padStart(8)}  served(br) ${String(total[3]).padStart(8)}`);
'
if [ "$BROWSER" = 1 ]; then
  BIN="${BIN:-target/debug/lunapanel}"
  [ -x "$BIN" ] || { echo "$BIN is missing: cargo build -p lunapanel" >&2; exit 1; }
  cp target/release/hash.txt "$(dirname "$BIN")/hash.txt"
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  LUNAPANEL_LISTEN="127.0.0.1:$port" LUNAPANEL_DEMO=true LUNAPANEL_DATABASE_URL="sqlite://$work/panel.db" \
    LUNAPANEL_MASTER_KEY_FILE="$work/master.key" "$BIN" >"$work/panel.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
  node end2end/first-load.mjs "http://127.0.0.1:$port"
fi
