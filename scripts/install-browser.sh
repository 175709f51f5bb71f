#!/bin/sh
# Installs what the browser tests and benchmark need: Debian's Chromium (Playwright's own browser
# download is not reachable here; playwright-core drives /usr/bin/chromium through executablePath)
# and the npm dev dependencies (esbuild, playwright-core). Idempotent.
set -e
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends chromium
fi
[ -d node_modules/playwright-core ] && [ -d node_modules/esbuild ] || npm install --no-audit --no-fund
/usr/bin/chromium --version
