#!/bin/sh
# Builds the WebAssembly SIMD kernels (src/backend/wasm/kernels/*.c) into four modules:
#   glasslm-simd.wasm        SIMD128 (runs in every current engine)
#   glasslm-relaxed.wasm     SIMD128 + relaxed SIMD (fused f32x4.relaxed_madd)
# both importing one shared memory (threads), and the same two for one thread on an ordinary,
# unshared memory, for pages without SharedArrayBuffer (no cross-origin isolation):
#   glasslm-simd-st.wasm, glasslm-relaxed-st.wasm
# The built files are committed so that a fresh clone runs without a compiler;
# test/wasm-build.test.ts checks that they match this script.
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


common="--target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib
  -Wall -Wextra -Wno-unused-parameter
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory
  -Wl,--max-memory=4294967296 -Wl,--export=__stack_pointer -Wl,--export=__heap_base
  -Wl,-z,stack-size=1048576"
threads="-matomics -Wl,--shared-memory"
# shellcheck disable=SC2086
"$cc" $common $threads -o "$out/glasslm-simd.wasm" "$src"/*.c
# shellcheck disable=SC2086
"$cc" $common $threads -mrelaxed-simd -DGL_RELAXED -o "$out/glasslm-relaxed.wasm" "$src"/*.c
# one thread, unshared memory: without the atomics feature the compiler makes atomics plain operations
# shellcheck disable=SC2086
"$cc" $common -o "$out/glasslm-simd-st.wasm" "$src"/*.c
# shellcheck disable=SC2086
"$cc" $common -mrelaxed-simd -DGL_RELAXED -o "$out/glasslm-relaxed-st.wasm" "$src"/*.c
echo "built $out/glasslm-simd.wasm $out/glasslm-relaxed.wasm $out/glasslm-simd-st.wasm $out/glasslm-relaxed-st.wasm"
