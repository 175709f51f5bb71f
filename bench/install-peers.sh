#!/bin/sh
# Installs the benchmark peers (tiktoken, js-tiktoken) into bench/peers/node_modules.
# They are never dependencies of glasslm itself.
set -e
cd "$(dirname "$0")/.."
npm install --prefix bench/peers --no-audit --no-fund
