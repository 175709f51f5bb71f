// The models against Hugging Face transformers (../shared/reference): logits, every hidden
// state, attention probabilities, loss, every parameter gradient, greedy continuations.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import type { NamedTensor } from '../src/io/types.js';
import { type Model, nextTokenTargets } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { backward } from '../src/autograd/backward.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import type { Backend } from '../src/backend/backend.js';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel } from '../src/node.js';

/** Largest |a - b|, after checking the shapes agree. */
function maxDiff(name: string, actual: Tensor, expected: NamedTensor): number {
  assert.deepEqual([...actual.shape], expected.shape, `${name}: shape`);
  const a = actual.data();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - expected.data[i]));
  return worst;
}

function check(name: string, actual: Tensor, expected: NamedTensor, tol: number, log: string[]): void {
  const d = maxDiff(name, actual, expected);
  log.push(`${name}: ${d.toExponential(2)}`);
  assert.ok(d <= tol, `${name}: max abs difference ${d} > ${tol}`);
}

/** Greedy continuation by recomputing the whole sequence each step (no KV cache). */
function greedyFull(model: Model, prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  noGrad(() => {
    for (let s = 0; s < steps && ids.length < model.contextLength; s++) {
      tidy(() => {
        const logits = model.forward(op.tensor(Int32Array.from(ids), [1, ids.length])).logits;
        const V = logits.shape[2];
        const last = logits.data().subarray((ids.length - 1) * V, ids.length * V);
        let best = 0;
        for (let j = 1; j < V; j++) if (last[j] > last[best]) best = j;
        ids.push(best);
      });
    }
  });
  return ids;
}

// the same suite, with the same tolerances, on the reference backend and on the WebAssembly one
const wasm = await createWasmBackend();
const backends: [string, Backend][] = [['cpu', createCpuBackend()], [`wasm ${wasm.simd} × ${wasm.threads}`, wasm]];
after(() => wasm.dispose());

for (const [backendName, backend] of backends) {
for (const name of ['gpt2-tiny', 'llama-tiny', 'qwen2-tiny']) {
  test(`${name} matches Hugging Face (${backendName})`, { skip: skipUnlessShared('reference', name) }, () => {
    setBackend(backend);
    const dir = sharedPath('reference', name)!;
    const ref = readSafetensorsFile(join(dir, 'reference.safetensors'));
    const model = loadHfModel(dir);
    model.setTrainable(true);
    const ids = op.tensor(ref.get('input_ids')!.data, ref.get('input_ids')!.shape, 'int32');
    const log: string[] = [];
    tidy(() => {
      const out = model.forward(ids, { hiddenStates: true, attentions: true, targets: nextTokenTargets(ids) });
      check('logits', out.logits, ref.get('logits')!, 1e-4, log);
      out.hiddenStates!.forEach((h, i) => check(`hidden_states.${i}`, h, ref.get(`hidden_states.${i}`)!, 1e-4, log));
      out.attentions!.forEach((a, i) => check(`attentions.${i}`, a, ref.get(`attentions.${i}`)!, 1e-5, log));
      const lossDiff = Math.abs(out.loss!.item() - ref.get('loss')!.data[0]);
      log.push(`loss: ${lossDiff.toExponential(2)}`);
      assert.ok(lossDiff <= 1e-5, `loss differs by ${lossDiff}`);
      backward(out.loss!);
    });
    let worstGrad = 0;
    for (const [pname, p] of model.params) {
      const g = ref.get(`grad.${pname}`);
      assert.ok(g, `reference has no gradient for ${pname}`);
      const a = p.grad!.data();
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i] - g.data[i]);
        assert.ok(d <= 1e-4 || d <= 1e-3 * Math.abs(g.data[i]), `grad.${pname}[${i}]: ${a[i]} vs ${g.data[i]}`);
        worstGrad = Math.max(worstGrad, d);
      }
    }
    log.push(`gradients (${model.params.size}): ${worstGrad.toExponential(2)}`);
    noGrad(() => tidy(() => { // a prompt's last prediction alone (generation): the reference's last row
      const last = model.forward(ids, { lastPositionOnly: true }).logits.data();
      const full = ref.get('logits')!, [B, T, V] = full.shape;
      assert.equal(last.length, B * V, 'lastPositionOnly: one row per sequence');
      let worst = 0;
      for (let b = 0; b < B; b++) for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs(last[b * V + j] - full.data[(b * T + T - 1) * V + j]));
      log.push(`last-position logits: ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-4, `lastPositionOnly logits differ by ${worst}`);
    }));
    const greedy = Array.from(ref.get('greedy')!.data);
    assert.deepEqual(greedyFull(model, greedy.slice(0, 8), greedy.length - 8), greedy, 'greedy continuation');
    console.log(`${name} (${backendName}) max abs differences: ${log.join(', ')}`);
    model.dispose();
  });
}

test(`stories260K (real pretrained weights) matches Hugging Face (${backendName})`, { skip: skipUnlessShared('reference', 'stories260K-hf') }, () => {
  setBackend(backend);
  const dir = sharedPath('reference', 'stories260K-hf')!;
  const ref = readSafetensorsFile(join(dir, 'reference.safetensors'));
  const model = loadHfModel(dir);
  for (const prompt of ['bos', 'random_a', 'random_b']) {
    const log: string[] = [];
    const inputIds = ref.get(`${prompt}.input_ids`)!;
    const ids = op.tensor(inputIds.data, [1, inputIds.data.length], 'int32');
    tidy(() => noGrad(() => {
      const out = model.forward(ids, { hiddenStates: true });
      const refLogits = ref.get(`${prompt}.logits`)!;
      check('logits', out.logits, { ...refLogits, shape: [...out.logits.shape] }, 1e-4, log);
      out.hiddenStates!.forEach((h, i) => {
        const r = ref.get(`${prompt}.hidden_states.${i}`)!;
        check(`hidden_states.${i}`, h, { ...r, shape: [...h.shape] }, 1e-4, log);
      });
    }));
    const greedy = Array.from(ref.get(`${prompt}.greedy`)!.data);
    const n = inputIds.data.length;
    assert.deepEqual(greedyFull(model, greedy.slice(0, n), greedy.length - n), greedy, `${prompt}: greedy continuation`);
    console.log(`stories260K ${prompt} (${backendName}): ${log.join(', ')}`);
  }
  model.dispose();
});
}
