#!/usr/bin/env bash
# Installs whatever Quiver's build and tests need and is missing. Idempotent: quick when all is there.
# Usage: scripts/setup.sh [--e2e]   (--e2e adds Chromium and the Playwright runner)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

want_e2e=0
[[ "${1:-}" == "--e2e" ]] && want_e2e=1

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# wasm-opt (binaryen) is used by release builds; brotli reports the compressed WASM size.
apt_install binaryen brotli

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "installing cargo-leptos 0.3.10 (takes ~25 minutes once)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
wbg=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wbg}\$"; then
  say "installing wasm-bindgen-cli ${wbg} (takes ~8 minutes once)"
  cargo install wasm-bindgen-cli --version "${wbg}"
fi

if ((want_e2e)); then
  apt_install chromium fonts-dejavu-core
  if [[ ! -d end2end/node_modules/@playwright/test ]]; then
    say "installing the Playwright test runner (npm)"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
say "tools ready"
