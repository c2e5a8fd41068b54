#!/usr/bin/env bash
# Runs every test: formatting, clippy (ssr and hydrate), unit and integration tests on
# SQLite and PostgreSQL (127.0.0.1:5432, a fresh database per test, dropped after), then
# the release build of the site (wasm, script, stylesheet: fingerprinted, precompressed, as
# shipped) and the browser journeys in Chromium against it, served by the server binary the
# tests built (target/debug/lunapanel: the same code; building a release server as well
# would recompile every dependency, about a quarter of this command's time).
#   --e2e-only   only the browser journeys, on the builds already in target/ (for iterating
#                on a journey; `cargo test --no-run` and the site build below first)
set -euo pipefail
E2E_ONLY=0
[ "${1:-}" = "--e2e-only" ] && E2E_ONLY=1
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
t0=$SECONDS
step() { echo "=== [$((SECONDS - t0))s] $*"; }

step "setup"
bash server/scripts/setup.sh --browser
# setup.sh's wasm-opt for the release wasm (Cargo's bin first: never Debian's binaryen).
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step "PostgreSQL"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering at 127.0.0.1:5432" >&2; exit 1; }

if [ "$E2E_ONLY" = 0 ]; then
step "cargo fmt --check"
cargo fmt --all -- --check
step "clippy (ssr)"
cargo clippy -p app -p lunapanel --features app/ssr --all-targets -- -D warnings
step "clippy (hydrate)"
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit + integration tests (SQLite and PostgreSQL)"
cargo test -p app -p lunapanel --features app/ssr

step "finish-site tests (the split build's last step)"
node --test server/scripts/finish-site.test.mjs

step "release build of the site (wasm, script, stylesheet)"
bash server/scripts/build-site.sh --frontend-only
fi
BIN=target/debug/lunapanel
[ -x "$BIN" ] || { echo "$BIN is missing: run cargo test -p app -p lunapanel --features app/ssr --no-run" >&2; exit 1; }
# The fingerprinted names, where the server looks for them (beside its binary).
cp target/release/hash.txt "$(dirname "$BIN")/hash.txt"

step "browser journeys (Chromium)"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_panel() { # name, demo, port
  LUNAPANEL_LISTEN="127.0.0.1:$3" LUNAPANEL_DEMO="$2" LUNAPANEL_SIGN_UP=invite-only \
  LUNAPANEL_DATABASE_URL="sqlite://$work/$1/panel.db" LUNAPANEL_MASTER_KEY_FILE="$work/$1/master.key" \
    "$BIN" >"$work/$1.log" 2>&1 &
  pids+=($!)
}
fresh_port=$(free_port); demo_port=$(free_port); emulator_port=$(free_port)
# The fresh panel's Luna Node is an emulator whose account key is a canary: after the
# journeys, no byte of it may be found in the panel's database, logs or bundle (SEC-1.1).
api_id=e2eapiid00000001
canary="CANARYKEY$(printf 'Z%.0s' $(seq 1 119))"
"$BIN" emulator --emulator-listen "127.0.0.1:$emulator_port" \
  --account "$api_id:$canary:100" --time-scale 0.05 >"$work/emulator.log" 2>&1 &
pids+=($!)
LUNAPANEL_UPSTREAM_URL="http://127.0.0.1:$emulator_port/api" LUNAPANEL_LOG_LEVEL="lunapanel=trace,app=trace,info" \
  start_panel fresh false "$fresh_port"
start_panel demo true "$demo_port"
rm -rf end2end/test-results
if ! E2E_BASE="http://127.0.0.1:$fresh_port" E2E_DEMO_BASE="http://127.0.0.1:$demo_port" \
  E2E_UPSTREAM="http://127.0.0.1:$emulator_port/api" E2E_API_ID="$api_id" E2E_API_KEY="$canary" \
  node end2end/run.mjs; then
  echo "--- panel logs"; tail -n 50 "$work"/*.log
  exit 1
fi

step "canary scan (database, logs, bundle)"
# Any 16-character window of the key (it starts CANARYKEY; the rest is Z).
for pattern in "${canary:0:16}" "$(printf 'Z%.0s' $(seq 1 16))"; do
  if grep -rl --binary-files=text -- "$pattern" "$work/fresh" "$work/fresh.log" "$work/demo.log" target/site; then
    echo "the canary API key leaked into the files above" >&2
    exit 1
  fi
done
echo "no trace of the key in $(find "$work/fresh" target/site -type f | wc -l) files and the panel logs"
# The DKIM keys the panel makes go to Luna Node only: never into its database or logs.
if grep -rl --binary-files=text -e "PRIVATE KEY-----" "$work/fresh" "$work/fresh.log"; then
  echo "a DKIM private key leaked into the files above" >&2
  exit 1
fi
step "done"
