// The decode step (one token's forward as one wasm call, src/models/decode-step/) against the
// general forward on the same model: the logits of every decoded position agree within 1e-5
// (bit for bit on one thread, where the step runs the same kernels in the same order), with float
// and int8 weights, on the reference tiny models (GPT-2, Llama, Qwen2 with q/k/v biases),
// stories260K and the built-in model; forced onto two threads as well. A forward with a hook takes
// the general path (the hook sees every token).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import { type WasmBackend, createWasmBackend } from '../src/backend/wasm/index.js';
import { generateIds } from '../src/generate/generate.js';
import { loadHfModel, loadModel } from '../src/models/load-file.js';
import type { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import { projectRoot, sharedPath } from './shared.js';

const identity = { hook_embed: () => undefined }; // a hook that changes nothing: forces the general path

/** Logits of each position of `tokens` fed one at a time: through the general forward, and through the step. */
function both(model: Model, prefill: number[], tokens: number[]): { general: Float32Array[]; step: Float32Array[] } {
  const general: Float32Array[] = [], step: Float32Array[] = [];
  const ca = model.createKVCache(1), cb = model.createKVCache(1);
  try {
    noGrad(() => {
      // the prompt through the general path (T > 1) on both caches: the step continues from it
      for (const c of [ca, cb]) tidy(() => model.forward(op.tensor(Int32Array.from(prefill), [1, prefill.length]), { kvCache: c, hooks: identity }));
      for (const t of tokens) {
        general.push(tidy(() => Float32Array.from(model.forward(op.tensor(Int32Array.of(t), [1, 1]), { kvCache: ca, hooks: identity }).logits.data())));
        const s = model.decodeStep(cb);
        assert.ok(s, 'the decode step is available on the wasm backend');
        s.run(t);
        step.push(Float32Array.from(s.logits));
      }
    });
    assert.equal(cb.length, ca.length);
  } finally {
    ca.dispose();
    cb.dispose();
  }
  return { general, step };
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((row, i) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i][j])))));
  return worst;
}

const models: [string, string | undefined, (p: string) => Model][] = [
  ['gpt2-tiny', sharedPath('reference', 'gpt2-tiny'), loadHfModel],
  ['llama-tiny', sharedPath('reference', 'llama-tiny'), loadHfModel],
  ['qwen2-tiny', sharedPath('reference', 'qwen2-tiny'), loadHfModel],
  ['stories260K', sharedPath('data', 'models', 'stories260K', 'stories260K.bin'), (p) => loadModel(p)],
  ['built-in model', join(projectRoot, 'models', 'builtin'), (p) => loadModel(p)],
];

// threads 0: the single-thread build on an ordinary memory (pages without SharedArrayBuffer)
for (const threads of [1, 2, 0]) {
  describe(threads ? `decode step on ${threads} thread${threads > 1 ? 's' : ''} (forced)` : 'decode step on an unshared memory', () => {
    let backend: WasmBackend;
    before(async () => {
      backend = threads ? await createWasmBackend({ threads }) : await createWasmBackend({ threads: 1, sharedMemory: false });
      setBackend(backend);
    });
    after(() => backend.dispose());

    for (const [name, path, load] of models) {
      for (const dtype of ['f32', 'q8_0'] as const) {
        test(`${name} ${dtype}: the step's logits equal the general forward's`, { skip: path ? false : `skipped: ${name} is absent (../shared is not beside this checkout)` }, () => {
          const model = load(path!);
          try {
            if (dtype === 'q8_0') model.quantize('q8_0');
            const V = model.config.vocabSize;
            const tokens = Array.from({ length: 12 }, (_, i) => (i * 7919 + 13) % V);
            const { general, step } = both(model, [1 % V, 5 % V, 9 % V], tokens);
            const d = maxDiff(general, step);
            if (threads <= 1) assert.equal(d, 0, `${name} ${dtype}: one thread runs the same kernels in the same order (max |diff| ${d})`);
            assert.ok(d <= 1e-5, `${name} ${dtype}: max |step - general| = ${d}`);
          } finally {
            model.dispose();
          }
        });
      }
    }
  });
}

test('generation through the step gives the general path\'s tokens; a hooked forward sees every token', async () => {
  const backend = await createWasmBackend({ threads: 1 });
  setBackend(backend);
  const model = loadModel(join(projectRoot, 'models', 'builtin'));
  try {
    const viaStep = [...generateIds(model, [1, 42], { temperature: 0, maxTokens: 20 })].map((t) => t.id);
    // the same greedy decode through the general forward (a hook that changes nothing keeps it there)
    const ids = [1, 42], cache = model.createKVCache(1);
    let seen = 0;
    const hooks = { hook_embed: () => { seen++; } };
    noGrad(() => {
      let input = ids;
      for (let i = 0; i < 20; i++) {
        const logits = tidy(() => Float32Array.from(model.forward(op.tensor(Int32Array.from(input), [1, input.length]), { kvCache: cache, hooks, lastPositionOnly: true }).logits.data()));
        let best = 0;
        for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
        ids.push(best);
        input = [best];
      }
    });
    cache.dispose();
    assert.deepEqual(viaStep, ids.slice(2));
    assert.equal(seen, 20, 'the hook ran on every forward');
  } finally {
    model.dispose();
    backend.dispose();
  }
});

test('tokens decoded through the step carry the alternatives the general path reports', async () => {
  const backend = await createWasmBackend({ threads: 1 });
  setBackend(backend);
  const model = loadModel(join(projectRoot, 'models', 'builtin'));
  try {
    assert.ok(model.decodeStep(model.createKVCache(1)), 'the step runs here');
    const opts = { temperature: 0, maxTokens: 8, alternatives: 5 };
    const viaStep = [...generateIds(model, [1, 42], opts)];
    // the general path: a model on the plain JavaScript backend has no step
    setBackend(createCpuBackend());
    const cpuModel = loadModel(join(projectRoot, 'models', 'builtin'));
    const general = [...generateIds(cpuModel, [1, 42], opts)];
    cpuModel.dispose();
    assert.deepEqual(viaStep.map((t) => t.id), general.map((t) => t.id));
    viaStep.forEach((t, i) => {
      assert.equal(t.alternatives?.length, 5, `step ${i} has 5 alternatives`);
      assert.equal(t.alternatives![0].id, t.id, 'greedy: the best alternative is the token');
      assert.deepEqual(t.alternatives!.map((a) => a.id), general[i].alternatives!.map((a) => a.id));
      t.alternatives!.forEach((a, j) => assert.ok(Math.abs(a.prob - general[i].alternatives![j].prob) < 1e-4, `step ${i} alternative ${j}: ${a.prob} vs ${general[i].alternatives![j].prob}`));
    });
  } finally {
    model.dispose();
    backend.dispose();
  }
});
