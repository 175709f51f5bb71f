// Peak memory while loading a checkpoint, as a multiple of the file size.
// Writes a random GPT-2-shaped model (about 410 MB of float32: 50257 tokens, width 768, 9 layers)
// as a Hugging Face folder (safetensors), GGUF F32 and GGUF Q8_0, then loads each in a fresh child
// process and reads its peak RSS (process.resourceUsage().maxRSS), minus the peak of a child that
// imports the same modules and loads nothing. Prints one JSON line per file.
// Linux carries a process's peak RSS across fork + exec, so the parent that spawns the measured
// children stays small: writing the model happens in a child of its own.
// usage: npx tsc -p . && node dist/bench/load-memory.js [--dir D] [--layers 9] [--dim 768] [--vocab 50257] [--keep]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { child: { type: 'string' }, dtype: { type: 'string', default: 'f32' }, write: { type: 'string' }, dir: { type: 'string' }, layers: { type: 'string', default: '9' }, dim: { type: 'string', default: '768' }, vocab: { type: 'string', default: '50257' }, keep: { type: 'boolean' } } });

const FILES: [string, string][] = [['safetensors (HF folder)', 'hf'], ['gguf f32', 'f32.gguf'], ['gguf q8_0', 'q8_0.gguf']];
/** Loads measured: each file as float32, and the Q8_0 file also as int8 (dtype q8_0, as the CLI runs it). */
const LOADS: [string, string, string][] = [...FILES.map(([what, name]): [string, string, string] => [what, name, 'f32']), ['gguf q8_0 as int8', 'q8_0.gguf', 'q8_0']];

if (values.child !== undefined) {
  // child: load (or, for the baseline, only import the modules) and report the peak RSS in bytes
  const { describeCheckpoint, loadModel } = await import('../src/node.js');
  const { selectBackend } = await import('../src/backend/select.js');
  const { setBackend } = await import('../src/tensor/engine.js');
  const { backend } = await selectBackend('auto', 1); // where the CLI puts weights (the baseline too)
  setBackend(backend);
  let params = 0, fileBytes = 0;
  if (values.child !== '') {
    params = loadModel(values.child, { dtype: values.dtype as 'f32' | 'q8_0' }).numParameters;
    fileBytes = describeCheckpoint(values.child).fileBytes;
  }
  console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, params, fileBytes }));
  process.exit(0);
}

if (values.write !== undefined) {
  // child: write the random model in every format
  const { Model } = await import('../src/models/model.js');
  const { saveGgufModel, saveHfModel } = await import('../src/node.js');
  const op = await import('../src/ops/index.js');
  const model = Model.init({ arch: 'gpt2', vocabSize: Number(values.vocab), contextLength: 1024, dim: Number(values.dim), layers: Number(values.layers), heads: 8, mlpHidden: 4 * Number(values.dim), normEps: 1e-5 }, new op.Rng(0));
  saveHfModel(model, join(values.write, FILES[0][1]));
  saveGgufModel(model, join(values.write, FILES[1][1]), { dtype: 'f32' });
  saveGgufModel(model, join(values.write, FILES[2][1]), { dtype: 'q8_0' });
  process.exit(0);
}

function child(...args: string[]): string {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function measure(path: string, dtype = 'f32'): { maxRssBytes: number; params: number; fileBytes: number } {
  return JSON.parse(child('--child', path, '--dtype', dtype).trim().split('\n').pop()!);
}

const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'glasslm-loadmem-'));
mkdirSync(dir, { recursive: true });
try {
  child('--write', dir, '--layers', values.layers!, '--dim', values.dim!, '--vocab', values.vocab!);
  const baseline = measure('').maxRssBytes;
  for (const [what, name, dtype] of LOADS) {
    const { maxRssBytes, params, fileBytes } = measure(join(dir, name), dtype);
    const weightBytes = params * 4;
    const loadBytes = maxRssBytes - baseline;
    console.log(JSON.stringify({
      file: what, params, fileMB: +(fileBytes / 1e6).toFixed(1), float32WeightsMB: +(weightBytes / 1e6).toFixed(1),
      baselineRssMB: +(baseline / 1e6).toFixed(1), peakRssMB: +(maxRssBytes / 1e6).toFixed(1), loadMB: +(loadBytes / 1e6).toFixed(1),
      loadOverFile: +(loadBytes / fileBytes).toFixed(3), loadOverWeights: +(loadBytes / weightBytes).toFixed(3),
    }));
  }
} finally {
  if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
}
