#!/bin/sh
# Installs the TensorFlow.js benchmark peer (tfjs + wasm backend) into bench/peers/tfjs/node_modules.
# The wasm binaries ship inside the npm package: nothing is downloaded at install time.
# It is never a dependency of glasslm itself.
set -e
cd "$(dirname "$0")/.."
npm install --prefix bench/peers/tfjs --no-audit --no-fund
