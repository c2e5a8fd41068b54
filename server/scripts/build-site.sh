#!/usr/bin/env bash
# The release site: `cargo leptos build --release --precompress --split` with the arguments
# given (e.g. --frontend-only), then server/scripts/finish-site.mjs over its output (the split
# chunks under one directory named by the build, the names of the main script, module and
# split loader made from their final contents; see that file).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# setup.sh's wasm-opt for the release wasm (Cargo's bin first: never Debian's binaryen).
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo leptos build --release --precompress --split "$@"
node server/scripts/finish-site.mjs "$ROOT"
