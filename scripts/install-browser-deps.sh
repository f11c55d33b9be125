#!/usr/bin/env bash
# Installs what the browser tests need, only when it is missing (safe to run again):
#  - Debian's chromium (the browser the tests drive; playwright cannot download one here),
#  - the npm packages of tests/browser (playwright-core, pinned by package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "install-browser-deps: installing chromium with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >&2
fi

if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "install-browser-deps: installing tests/browser npm packages" >&2
  (cd tests/browser && npm ci --no-audit --no-fund >&2)
fi

/usr/bin/chromium --version >/dev/null 2>&1 || { echo "install-browser-deps: chromium does not run" >&2; exit 1; }
command -v node >/dev/null || { echo "install-browser-deps: node is missing" >&2; exit 1; }
