// The typed functions added for the web page's views, against hand-worked examples and peers:
// the query/key/value story of one head, attention cost, token analogies and projections, a
// neuron over a text, generation's alternatives and early stop, and training from text in memory.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateText, inspect, loadModel, loadTokenizer, textSteps, textTrainer } from '../src/node.js';
import type { AttentionResult } from '../src/inspect/attention.js';
import { configFromHf } from '../src/models/config.js';
import { projectRoot } from './shared.js';

const BUILTIN = join(projectRoot, 'models', 'builtin');
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

test('queryKeyValues: one head worked by hand (grouped query attention, 2 query heads on 1 key/value head)', () => {
  // q·k/√2 = [2/√2, 0]; softmax = [e^√2, 1]/(e^√2 + 1) = [0.804430, 0.195570]; z = Σ w v
  const attn: AttentionResult = {
    ids: [0, 1], layers: 1, heads: 2, patterns: [[[[1, 0], [0.5, 0.5]], [[1, 0], [0.5, 0.5]]]],
    q: [[[[0, 0], [0, 0]], [[9, 9], [1, 0]]]],
    k: [[[[2, 0]], [[0, 2]]]],
    v: [[[[1, 0]], [[0, 1]]]],
  };
  const r = inspect.queryKeyValues(attn, 0, 1, 1);
  assert.equal(r.kvHead, 0);
  close(r.scores[0], Math.SQRT2, 1e-12, 'score 0');
  close(r.scores[1], 0, 1e-12, 'score 1');
  close(r.weights[0], 0.804430, 1e-6, 'weight 0');
  close(r.weights[1], 0.195570, 1e-6, 'weight 1');
  assert.deepEqual(r.output.map((x) => Number(x.toFixed(6))), [0.804430, 0.195570]);
  assert.throws(() => inspect.queryKeyValues(attn, 0, 2, 1), /head 2 is outside 0..1/);
  assert.throws(() => inspect.queryKeyValues({ ...attn, q: undefined }, 0, 0, 0), /qkv: true/);
});

test('queryKeyValues on the built-in model: the softmax of q·k/√d is the model\'s own attention pattern', () => {
  const model = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
  const ids = inspect.encodePrompt(tok, 'Once upon a time, there was a girl');
  const a = inspect.attentionPatterns(model, ids, { qkv: true });
  for (const [layer, head] of [[0, 0], [3, 5], [5, 2]]) {
    const r = inspect.queryKeyValues(a, layer, head, ids.length - 1);
    r.weights.forEach((w, k) => close(w, a.patterns[layer][head][ids.length - 1][k], 1e-5, `L${layer}H${head} key ${k}`));
  }
});

test('attentionCost worked by hand: 6 heads of 32, 2 key/value heads, 6 layers, 10 tokens', () => {
  const config = configFromHf({ model_type: 'llama', vocab_size: 100, hidden_size: 192, num_hidden_layers: 6, num_attention_heads: 6, num_key_value_heads: 2, intermediate_size: 512, max_position_embeddings: 256 });
  const c = inspect.attentionCost(config, 10, 16);
  assert.equal(c.now.qkProductsPerLayer, 330); // 6 · 10·11/2
  assert.equal(c.now.qkMultiplyAddsPerLayer, 330 * 32);
  assert.equal(c.now.kvCacheBytes, 2 * 6 * 2 * 32 * 10 * 4);
  assert.equal(c.remaining, 246);
  close(c.fill, 10 / 256, 1e-12, 'fill');
  assert.equal(c.curve[0].tokens, 1);
  assert.equal(c.curve[c.curve.length - 1].tokens, 256);
  assert.equal(c.curve.length, 16);
});

test('analogyInMatrix worked by hand: a − b + c, a, b and c excluded', () => {
  // rows: a=[2,1] b=[2,0] c=[0,1] | [0,3] [1,1] [1,0];  a − b + c = [0,2]
  const E = Float32Array.from([2, 1, 2, 0, 0, 1, 0, 3, 1, 1, 1, 0]);
  const r = inspect.analogyInMatrix(E, 2, 0, 1, 2, 3);
  assert.deepEqual(r.map((n) => n.id), [3, 4, 5]);
  close(r[0].score, 1, 1e-12, 'cos to [0,3]');
  close(r[1].score, Math.SQRT1_2, 1e-12, 'cos to [1,1]');
  close(r[2].score, 0, 1e-12, 'cos to [1,0]');
});

test('tokenProjection of two tokens: ±|a − b|/2 on the first axis, all the variance on it', () => {
  const model = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
  const [a, b] = [tok.encode(' dog')[0], tok.encode(' cat')[0]];
  const E = inspect.embeddingMatrix(model), C = model.config.dim;
  let d2 = 0;
  for (let i = 0; i < C; i++) d2 += (E[a * C + i] - E[b * C + i]) ** 2;
  const p = inspect.tokenProjection(model, [a, b]);
  close(Math.abs(p.points[0][0]), Math.sqrt(d2) / 2, 1e-4, 'coordinate of a');
  close(p.points[0][0], -p.points[1][0], 1e-6, 'symmetric');
  close(p.explained[0], 1, 1e-6, 'explained variance');
});

test('neuronTrace equals the cached MLP activation at every position', () => {
  const model = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
  const ids = inspect.encodePrompt(tok, 'The dog ran to the park.');
  const trace = inspect.neuronTrace(model, ids, 2, 17);
  const { cache } = inspect.runWithCache(model, ids, { names: ['blocks.2.mlp.hook_post'] });
  const t = cache.get('blocks.2.mlp.hook_post')!, N = t.shape[2], d = t.floats();
  ids.forEach((_, i) => close(trace.activations[i], d[i * N + 17], 1e-7, `position ${i}`));
  const top = inspect.topNeurons(model, ids, { k: 1, position: 3 }).neurons[0];
  close(inspect.neuronTrace(model, ids, top.layer, top.neuron).activations[3], top.value, 1e-7, 'top neuron at its position');
  assert.throws(() => inspect.neuronTrace(model, ids, 0, 512), /neuron 512 is outside 0..511/);
});

test('textSteps: the same text as generateText; alternatives are the top probabilities; stopping early frees the cache', () => {
  const model = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
  const prompt = 'Once upon a time';
  const want = generateText(model, tok, prompt, { temperature: 0, maxTokens: 12 });
  const steps = textSteps(model, tok, prompt, { temperature: 0, maxTokens: 12, alternatives: 4 });
  let text = '';
  for (;;) {
    const n = steps.next();
    if (n.done) break;
    text += n.value.text;
    const alt = n.value.alternatives!;
    assert.equal(alt.length, 4);
    assert.equal(alt[0].id, n.value.id, 'greedy picks the most likely');
    close(alt[0].prob, n.value.prob, 1e-6, 'probability of the pick');
    for (let i = 1; i < alt.length; i++) assert.ok(alt[i].prob <= alt[i - 1].prob);
  }
  assert.equal(text, want.text);
  const early = textSteps(model, tok, prompt, { temperature: 0, maxTokens: 50 });
  early.next();
  early.next();
  early.return(undefined as never); // runs generateIds' finally (the KV cache is disposed): a second run still works
  assert.equal(generateText(model, tok, prompt, { temperature: 0, maxTokens: 12 }).text, want.text);
});

test('textTrainer: a character model trained from text in memory lowers its validation loss; too little text is refused', () => {
  const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(30);
  const { trainer, tokenizer, valTokens } = textTrainer({ text, tokenizer: 'char', valFraction: 0.1, model: { arch: 'llama', layers: 1, heads: 2, dim: 16, contextLength: 16 }, options: { steps: 60, batchSize: 4, lr: 1e-2, warmupSteps: 5, seed: 3 } });
  assert.equal(tokenizer.vocabSize, new Set(text).size);
  assert.ok(valTokens > 16);
  const before = trainer.evaluate();
  while (!trainer.done) trainer.trainStep();
  const after = trainer.evaluate();
  assert.ok(after < before - 0.5, `validation loss ${before} -> ${after}`);
  const files = trainer.checkpointFiles();
  assert.ok(files.has('config.json') && files.has('model.safetensors') && files.has('tokenizer.json'));
  assert.throws(() => textTrainer({ text: 'too short', tokenizer: 'char', valFraction: 0.1, model: { arch: 'llama', layers: 1, heads: 1, dim: 8, contextLength: 16 }, options: {} }), /fewer than the context/);
});
