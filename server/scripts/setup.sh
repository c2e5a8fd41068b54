#!/usr/bin/env bash
# Installs, only when missing, what lunapanel needs to build, run and test:
# the wasm32 target, cargo-leptos (pinned), wasm-bindgen-cli (= Cargo.lock's wasm-bindgen),
# Node.js, the end2end npm packages (playwright-core; binaryen for wasm-opt), and with
# --browser Debian's chromium. Idempotent; a few seconds when everything is present.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 --locked needs rustc >= 1.96
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

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "Node.js"; apt_install nodejs npm
fi
if [ ! -d end2end/node_modules/playwright-core ] || [ ! -x end2end/node_modules/.bin/wasm-opt ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "end2end npm packages"; (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$WITH_BROWSER" = 1 ] && ! command -v chromium >/dev/null; then
  say "chromium (Debian)"; apt_install chromium
fi
