#!/usr/bin/env bash
# Benchmarks (release build): the Luna Node client's per-call cost and round trips per
# second against the emulator on loopback at concurrency 1 and 32.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p lunapanel --example bench_upstream
