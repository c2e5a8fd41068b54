#!/usr/bin/env bash
# Builds lunapanel (release) and runs it in demo mode at http://127.0.0.1:3000:
# a built-in Luna Node emulator and a demo reseller account (with sample customers) whose
# sign-in is printed below. Demo mode on by default listens on loopback only; to show it on
# a network, ask for it: server/scripts/run.sh --demo true --listen 0.0.0.0:3000 --public-url …
# Settings: LUNAPANEL_* variables or flags after the command (see README).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bash server/scripts/setup.sh
bash server/scripts/build-site.sh
exec target/release/lunapanel "$@"
