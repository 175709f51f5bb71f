// The batching engine (src/generate/batch.ts) in process, on the built-in model and the wasm
// backend: a lone sequence (which runs the one-row decode step on a view of row 0) gives exactly
// `generateIds`' greedy tokens; sequences decoded together give what each gives alone; a long
// prompt prefilled in chunks keeps the other rows decoding at every step and ends as the whole
// prompt would; echo's prompt log-probabilities equal log_softmax of one full forward; max tokens
// 0 scores without generating; a request cancelled while it is prefilled frees its row.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { loadModelAndTokenizer } from '../src/cli/model-args.js';
import { type BatchEvent, BatchEngine, type BatchRequest } from '../src/generate/batch.js';
import { generateIds } from '../src/generate/generate.js';
import { logSoftmaxRow } from '../src/generate/logits.js';
import type { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import type { Backend } from '../src/backend/backend.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import type { Tokenizer } from '../src/tokenizer/types.js';

let model: Model, tokenizer: Tokenizer, previous: Backend, wasm: Backend & { dispose(): void };
before(async () => {
  wasm = await createWasmBackend({ threads: 1 });
  previous = setBackend(wasm);
  ({ model, tokenizer } = loadModelAndTokenizer({}));
});
after(() => {
  model.dispose();
  setBackend(previous);
  wasm.dispose();
});

const ids = (text: string) => [tokenizer.bos ?? tokenizer.eos!, ...tokenizer.encode(text)].filter((x) => x !== undefined);
const PROMPTS = ['Once upon a time', 'The little dog was', 'Lily and Tom went to the park. They', 'One day, a big'];

/** Runs the engine until idle; each request's tokens per choice, and the events in order. */
function runAll(engine: BatchEngine, onStep?: (events: BatchEvent[], step: number) => void): { tokens: Map<number, number[]>; events: BatchEvent[] } {
  const tokens = new Map<number, number[]>(), all: BatchEvent[] = [];
  for (let step = 0; engine.busy; step++) {
    const events = engine.step();
    for (const e of events) if (e.type === 'token' && e.choice === 0) tokens.set(e.request, [...(tokens.get(e.request) ?? []), e.id]);
    all.push(...events);
    onStep?.(events, step);
    assert.ok(step < 10_000, 'the engine does not stop');
  }
  return { tokens, events: all };
}

const greedy = (id: number, promptIds: number[], maxTokens = 20): BatchRequest => ({ id, promptIds, maxTokens, temperature: 0 });

test('a lone sequence (decode step on row 0 of a 4-row cache) gives exactly generate\'s greedy tokens, as do 4 together', () => {
  const alone = PROMPTS.map((p) => Array.from(generateIds(model, ids(p), { temperature: 0, maxTokens: 20 }), (t) => t.id));
  const engine = new BatchEngine(model, 4);
  let stepped = 0; // one-row decode steps taken (the engine asks the model for its step)
  const plainStep = model.plainStep.bind(model);
  model.plainStep = (cache) => {
    const step = plainStep(cache);
    if (step) stepped++;
    return step;
  };
  const lone = PROMPTS.map((p, i) => {
    engine.add(greedy(i, ids(p)));
    return runAll(engine).tokens.get(i)!;
  });
  model.plainStep = plainStep;
  assert.deepEqual(lone, alone);
  assert.equal(stepped, PROMPTS.length * 19, 'every token after the first came from the decode step');
  PROMPTS.forEach((p, i) => engine.add(greedy(10 + i, ids(p))));
  const together = runAll(engine).tokens;
  assert.deepEqual(PROMPTS.map((_, i) => together.get(10 + i)), alone);
  engine.dispose();
});

test('a long prompt prefilled in chunks: the running row gets a token every step, and the result equals one whole prefill', () => {
  const long = ids('Once upon a time, there was a little girl named Lily. She liked to play outside in the sun with her dog. One day');
  assert.ok(long.length > 20, `${long.length} tokens`);
  const expected = Array.from(generateIds(model, long, { temperature: 0, maxTokens: 10 }), (t) => t.id);
  const engine = new BatchEngine(model, 4, { prefillChunk: 4 });
  engine.add(greedy(1, ids('The little dog was'), 60));
  while (!engine.step().some((e) => e.type === 'token' && e.request === 1)); // request 1 is running (its own short prompt takes two chunks)
  engine.add(greedy(2, long, 10));
  let fillSteps = 0, firstOf2 = -1;
  const { tokens } = runAll(engine, (events, step) => {
    const of2 = events.some((e) => e.type === 'token' && e.request === 2);
    if (of2 && firstOf2 < 0) firstOf2 = step;
    if (firstOf2 < 0) {
      fillSteps++;
      assert.equal(events.filter((e) => e.type === 'token' && e.request === 1).length, 1, `step ${step}: the running row decoded while the prompt was being filled`);
    }
  });
  assert.equal(fillSteps, Math.ceil(long.length / 4) - 1, 'one chunk of 4 prompt tokens per step');
  assert.deepEqual(tokens.get(2), expected);
  engine.dispose();
});

test('prompt log-probabilities (echo) equal log_softmax of one full forward; max tokens 0 only scores', () => {
  const prompt = ids('Once upon a time, there was a cat');
  const V = model.config.vocabSize;
  const full = noGrad(() => tidy(() => Float32Array.from(model.forward(op.tensor(Int32Array.from(prompt), [1, prompt.length])).logits.data())));
  const engine = new BatchEngine(model, 2, { prefillChunk: 3 }); // scored across chunk boundaries
  engine.add({ id: 7, promptIds: prompt, maxTokens: 0, temperature: 0, topLogprobs: 3, promptLogprobs: true, n: 2 });
  const { events } = runAll(engine);
  const scored = events.flatMap((e) => (e.type === 'prompt' ? e.tokens.map((t, i) => ({ ...t, at: e.from + i })) : []));
  assert.deepEqual(scored.map((t) => t.at), prompt.slice(1).map((_, i) => i + 1));
  let worst = 0;
  for (const t of scored) {
    const lp = logSoftmaxRow(full.subarray((t.at - 1) * V, t.at * V));
    assert.equal(t.id, prompt[t.at]);
    worst = Math.max(worst, Math.abs(t.logprob - lp[t.id]));
    assert.equal(t.top.length, 3);
    assert.ok(t.top[0].logprob >= t.top[1].logprob && t.top[1].logprob >= t.top[2].logprob);
    assert.ok(Math.abs(t.top[0].logprob - Math.max(...lp)) < 1e-5);
  }
  assert.ok(worst < 1e-5, `prompt logprobs differ from a full forward by ${worst}`);
  assert.deepEqual(events.filter((e) => e.type === 'token'), []);
  assert.deepEqual(events.filter((e) => e.type === 'finish').map((e) => e.type === 'finish' && e.reason), ['length', 'length']);
  assert.equal(engine.running, 0);
  engine.dispose();
});

test('a request cancelled while its prompt is prefilled frees its rows; the next request runs as alone', () => {
  const engine = new BatchEngine(model, 1, { prefillChunk: 2 });
  engine.add(greedy(1, ids('Once upon a time, there was a little girl'), 5));
  engine.step();
  assert.equal(engine.running, 1);
  engine.cancel(1);
  engine.add(greedy(2, ids('The little dog was'), 8));
  const { tokens, events } = runAll(engine);
  assert.deepEqual(events.filter((e) => e.request === 1), []);
  assert.deepEqual(tokens.get(2), Array.from(generateIds(model, ids('The little dog was'), { temperature: 0, maxTokens: 8 }), (t) => t.id));
  engine.dispose();
});
