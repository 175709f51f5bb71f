// Loading reads tensors from the file straight into their storage: peak memory while loading an
// F32 checkpoint stays within 1.3x its file size (measured by bench/load-memory.ts in fresh processes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

test('peak RSS while loading a ~100 MB F32 safetensors folder or GGUF is at most 1.3x the file', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'dist', 'bench', 'load-memory.js'), '--layers', '6', '--dim', '512', '--vocab', '8192'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  console.log(rows.map((x) => `${x.file}: ${x.loadMB} MB for a ${x.fileMB} MB file (${x.loadOverFile}x file, ${x.loadOverWeights}x float32 weights)`).join('; '));
  for (const row of rows) {
    if (row.file.includes('q8_0')) assert.ok(row.loadOverWeights <= 1.3, `${row.file}: ${row.loadOverWeights}x the float32 weights`);
    else assert.ok(row.loadOverFile <= 1.3, `${row.file}: ${row.loadOverFile}x the file`);
  }
});
