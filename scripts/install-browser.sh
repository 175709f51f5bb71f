#!/bin/sh
# Installs what the browser tests and benchmark need: Debian's Chromium (Playwright's own browser
# download is not reachable here; playwright-core drives /usr/bin/chromium through executablePath)
# and the npm dev dependencies (esbuild, playwright-core). Idempotent; run by `npm test` (pretest).
# When Chromium cannot be installed (no root, no apt), it says so and the browser tests skip with a
# message, unless GLASSLM_REQUIRE_BROWSER=1, which makes that an error.
set -e
cd "$(dirname "$0")/.."
CHROMIUM="${GLASSLM_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
  if ! { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium; }; then
    echo "install-browser: could not install chromium with apt-get; the browser tests will be skipped" >&2
    [ "${GLASSLM_REQUIRE_BROWSER:-0}" = 1 ] && exit 1
    exit 0
  fi
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/esbuild ]; then npm install --no-audit --no-fund; fi
"$CHROMIUM" --version
