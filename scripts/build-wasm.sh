#!/bin/sh
# Builds the WebAssembly SIMD kernels (src/backend/wasm/kernels/*.c) into two modules:
#   glasslm-simd.wasm     SIMD128 (runs in every current engine)
#   glasslm-relaxed.wasm  SIMD128 + relaxed SIMD (fused f32x4.relaxed_madd)
# Both import one shared memory (threads). The built files are committed so that a fresh clone
# runs without a compiler; test/wasm-build.test.ts checks that they match this script.
#
# usage: scripts/build-wasm.sh [output-dir]   (default: src/backend/wasm)
# needs clang-19 and wasm-ld-19 (apt-get install --no-install-recommends clang-19 lld-19).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/src/backend/wasm}
src=$root/src/backend/wasm/kernels
mkdir -p "$out"

# clang runs a wasm-opt it finds on PATH, and Debian's binaryen rejects relaxed SIMD: give clang a
# PATH with only the LLVM tools on it.
llvm=/usr/lib/llvm-19/bin
export PATH="$llvm:/usr/bin:/bin"
if [ -x /usr/bin/wasm-opt ] || command -v wasm-opt >/dev/null 2>&1; then
  tmpbin=$(mktemp -d)
  ln -s "$llvm/wasm-ld" "$tmpbin/wasm-ld"
  export PATH="$tmpbin"
fi
cc="$llvm/clang"
[ -x "$cc" ] || cc=$(command -v clang-19)

flags="--target=wasm32 -O3 -msimd128 -matomics -mbulk-memory -nostdlib
  -Wall -Wextra -Wno-unused-parameter
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--shared-memory -Wl,--import-memory
  -Wl,--max-memory=4294967296 -Wl,--export=__stack_pointer -Wl,--export=__heap_base
  -Wl,-z,stack-size=1048576"
# shellcheck disable=SC2086
"$cc" $flags -o "$out/glasslm-simd.wasm" "$src"/*.c
# shellcheck disable=SC2086
"$cc" $flags -mrelaxed-simd -DGL_RELAXED -o "$out/glasslm-relaxed.wasm" "$src"/*.c
echo "built $out/glasslm-simd.wasm $out/glasslm-relaxed.wasm"
