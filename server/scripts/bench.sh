#!/usr/bin/env bash
# Benchmarks (release build): the Luna Node client's per-call cost and round trips per
# second against the emulator on loopback at concurrency 1 and 32; then the panel's VM
# area: proxied server functions vs direct calls, a customer's scoped VM list vs the
# reseller's, SSR of /vms with 500 VMs, and upstream calls per minute with 1 vs 8 open VM
# pages (about ten minutes); then sign-in under attack (throttling, the hashing queue); then
# upstream calls per minute with 1, 2 and 3 instances on one PostgreSQL database (about
# four minutes; needs PostgreSQL, LUNAPANEL_TEST_PG); then upstream calls per page view with
# reference data read every time and kept; then the load test: two panel processes on one
# PostgreSQL database, 200 users for seven minutes (bench_load, needs the release binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p lunapanel --example bench_upstream
cargo run --release -q -p lunapanel --example bench_panel
cargo run --release -q -p lunapanel --example bench_auth
cargo run --release -q -p lunapanel --example bench_cluster
cargo run --release -q -p lunapanel --example bench_pages
cargo build --release -q -p lunapanel --bin lunapanel
cargo run --release -q -p lunapanel --example bench_load
