// Copies the kernel modules (src/backend/wasm/*.wasm, built by scripts/build-wasm.sh) beside the
// compiled JS in dist/src/backend/wasm, where `new URL('./x.wasm', import.meta.url)` finds them,
// in Node and after a bundler (Vite) follows those URLs. Run by `npm run build` after tsc.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src/backend/wasm');
const to = join(root, 'dist/src/backend/wasm');
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((f) => f.endsWith('.wasm'));
if (files.length === 0) throw new Error(`no .wasm files in ${from} (run scripts/build-wasm.sh)`);
for (const f of files) copyFileSync(join(from, f), join(to, f));
console.log(`copied ${files.length} kernel modules into ${to}`);
