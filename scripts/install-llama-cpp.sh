#!/bin/sh
# Installs llama.cpp as a peer for bench/llama-agreement.ts: the npm package node-llama-cpp (3.x),
# whose prebuilt llama.cpp binaries ship inside the package (~725 MB). It goes into
# bench/peers/llama (git-ignored) and is never a dependency of glasslm itself.
set -e
cd "$(dirname "$0")/.."
mkdir -p bench/peers/llama
if [ ! -f bench/peers/llama/package.json ]; then
  echo '{ "name": "glasslm-llama-peer", "private": true, "type": "module" }' > bench/peers/llama/package.json
fi
npm install --prefix bench/peers/llama --no-audit --no-fund node-llama-cpp@3
node -e "import('./bench/peers/llama/node_modules/node-llama-cpp/dist/index.js').then(() => console.log('node-llama-cpp installed in bench/peers/llama'))"
