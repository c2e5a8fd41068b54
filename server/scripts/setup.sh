#!/usr/bin/env bash
# Installs, only when missing, what lunapanel needs to build, run and test:
# the wasm32 target, cargo-leptos (pinned), wasm-bindgen-cli (= Cargo.lock's wasm-bindgen),
# wasm-opt (binaryen, built from crates.io), Node.js, the end2end npm packages
# (playwright-core, axe-core), and with --browser Debian's chromium. Idempotent; a few
# seconds when everything is present. The scripts that build put Cargo's bin directory first
# on PATH, so that this wasm-opt is the one cargo-leptos finds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 --locked needs rustc >= 1.96
WASM_OPT_CRATE=0.116.1        # builds binaryen 116
WASM_OPT_BINARYEN=116
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
WITH_BROWSER=0
[ "${1:-}" = "--browser" ] && WITH_BROWSER=1
say() { echo "setup: $*"; }

apt_install() {
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "setup: need root (or sudo) to install: $*" >&2; exit 1
  fi
  local sudo=""; [ "$(id -u)" != 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# wasm target: really installed (rustup's list can be stale), else rustup, else the
# archive shipped beside the project in ../shared.
sysroot_has_wasm() { ls "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib/"libstd-*.rlib >/dev/null 2>&1; }
if ! sysroot_has_wasm; then
  if [ -x "$ROOT/../shared/bin/ensure-wasm-target" ]; then
    say "wasm target (ensure-wasm-target)"; "$ROOT/../shared/bin/ensure-wasm-target"
  else
    say "wasm target (rustup)"; rustup target add wasm32-unknown-unknown
  fi
fi

if ! cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $CARGO_LEPTOS_VERSION"; then
  say "cargo-leptos $CARGO_LEPTOS_VERSION (takes ~15 minutes once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

WBG=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WBG"; then
  say "wasm-bindgen-cli $WBG"
  cargo install wasm-bindgen-cli --version "$WBG" --locked || cargo install wasm-bindgen-cli --version "$WBG"
fi

# wasm-opt for the release wasm: binaryen 116, native, from crates.io's `wasm-opt` crate
# (its C++ compiled with the system's g++, no cmake). npm's binaryen (binaryen compiled to
# wasm, run by Node) spent about 0.4 s starting for each of the ~470 split modules, most of
# the release build's optimisation time. Never Debian's binaryen (108): its output does not
# hydrate (`WebAssembly.Table.set(): Argument 1 is invalid` in the externref table's set-up).
WASM_OPT_BIN="$CARGO_BIN/wasm-opt"
if ! "$WASM_OPT_BIN" --version 2>/dev/null | grep -q "(version_$WASM_OPT_BINARYEN)"; then
  say "wasm-opt $WASM_OPT_CRATE (binaryen $WASM_OPT_BINARYEN; takes ~8 minutes once)"
  cargo install wasm-opt --version "$WASM_OPT_CRATE" --locked
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "Node.js"; apt_install nodejs npm
fi
if [ ! -d end2end/node_modules/playwright-core ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "end2end npm packages"; (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$WITH_BROWSER" = 1 ] && ! command -v chromium >/dev/null; then
  say "chromium (Debian)"; apt_install chromium
fi
