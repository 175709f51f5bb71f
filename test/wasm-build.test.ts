// The committed .wasm files must be exactly what scripts/build-wasm.sh builds from the C sources
// (skipped, saying so, where clang-19 is not installed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

const clang = ['/usr/lib/llvm-19/bin/clang', '/usr/bin/clang-19'].find((p) => existsSync(p));
const wasmLd = ['/usr/lib/llvm-19/bin/wasm-ld', '/usr/bin/wasm-ld-19'].find((p) => existsSync(p));
const skip = clang && wasmLd ? false : 'skipped: clang-19 and wasm-ld-19 are not installed (apt-get install --no-install-recommends clang-19 lld-19)';

test('the committed wasm kernels match a fresh build of src/backend/wasm/kernels', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-wasm-'));
  try {
    execFileSync('sh', [join(projectRoot, 'scripts', 'build-wasm.sh'), dir], { stdio: 'pipe' });
    for (const file of ['glasslm-simd.wasm', 'glasslm-relaxed.wasm', 'glasslm-simd-st.wasm', 'glasslm-relaxed-st.wasm']) {
      const fresh = readFileSync(join(dir, file));
      const committed = readFileSync(join(projectRoot, 'src', 'backend', 'wasm', file));
      assert.ok(fresh.equals(committed), `${file} differs from a fresh build: run scripts/build-wasm.sh and commit the result`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('all four builds are valid WebAssembly (the relaxed one where the engine supports relaxed SIMD)', async () => {
  const { relaxedSimdSupported } = await import('../src/backend/wasm/loader.js');
  for (const suffix of ['', '-st']) {
    const simd = readFileSync(join(projectRoot, 'src', 'backend', 'wasm', `glasslm-simd${suffix}.wasm`));
    assert.ok(WebAssembly.validate(simd));
    const relaxed = readFileSync(join(projectRoot, 'src', 'backend', 'wasm', `glasslm-relaxed${suffix}.wasm`));
    assert.equal(WebAssembly.validate(relaxed), relaxedSimdSupported());
  }
});
