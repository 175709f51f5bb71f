// TensorFlow.js peer for glasslm's training benchmark, in its fast form.
//
// nanoGPT's CPU Tiny Shakespeare set-up as a GPT-2 model: 4 layers, 4 heads, width 128, context 64,
// batch 12, vocab 65 (characters), tied output head, LayerNorm and Linear with bias, GELU (tanh form),
// AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on 2-D weights only), global-norm grad clip 1.0,
// warm-up 100 iterations then cosine decay to 1e-4 at 2000 iterations (nanoGPT's schedule).
//
// Runs on @tensorflow/tfjs-backend-wasm 4.22 (SIMD; threads are off in Node) with the workarounds
// that make it fast (see /work/shared/FACTS.md, "Peers"):
//   - only 2-D untransposed tf.matMul is fast on the wasm backend (XNNPACK); transposed flags and
//     batched (3-D) products take a slow path. Linear layers are a tf.customGrad whose gradient uses
//     explicit tf.transpose + 2-D tf.matMul.
//   - tf.gather cannot be trained on the wasm backend: embeddings are one-hot x table.
//   - column sums (bias and LayerNorm gain/bias gradients) as ones[1, N] x t, not tf.sum(t, 0).
//   - GELU as x * sigmoid(2u) (identical to 0.5 x (1 + tanh u)); tf.pow and tf.tanh are slow.
//   - c_attn as three [C, C] blocks (q, k, v), so heads need 4-D transposes, not a 5-D one.
// Attention's batched (3-D) products have no fast path: 24 of them per step (8 forward, 16 backward)
// take ~140 ms of a ~450 ms step on this machine; no rearrangement tried (per-head 2-D slices via
// split/gather, block-diagonal 2-D, broadcast-multiply-sum) was faster.
// The JSON's cpu_share is CPU time / wall time over the timed steps: below ~0.95 another process
// took this core, and the timing should be rerun.
//
// usage (from the repository root, after bench/install-tfjs.sh):
//   node bench/peers/tfjs/train.mjs [--iters 20] [--warmup 3] [--random]
//       times training iterations on Tiny Shakespeare batches (or random tokens with --random) and
//       prints one JSON line {"peer", "ms_per_step", "tokens_per_s", ...}
//   node bench/peers/tfjs/train.mjs --full [--iters 2000]
//       trains on Tiny Shakespeare (90/10 split) and reports the validation loss
//       (nanoGPT's estimate: mean over 200 random validation batches)
// --log N prints the training loss every N iterations to stderr.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const { values: args } = parseArgs({
  options: {
    iters: { type: 'string' },
    warmup: { type: 'string', default: '3' },
    full: { type: 'boolean', default: false },
    random: { type: 'boolean', default: false },
    log: { type: 'string', default: '0' },
    'eval-iters': { type: 'string', default: '200' },
    'eval-interval': { type: 'string', default: '0' },
    data: { type: 'string', default: '/work/shared/data/corpora/tinyshakespeare.txt' },
    seed: { type: 'string', default: '1337' },
    profile: { type: 'boolean', default: false },
  },
});

const B = 12, T = 64, C = 128, H = 4, L = 4, D = C / H;
const LR = 1e-3, MIN_LR = 1e-4, WARMUP = 100, DECAY_ITERS = 2000;
const BETA1 = 0.9, BETA2 = 0.99, EPS = 1e-8, WD = 0.1, CLIP = 1.0;

await tf.setBackend('wasm');
await tf.ready();

// ---- data --------------------------------------------------------------------------------
let seed = Number(args.seed) >>> 0;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const text = readFileSync(args.data, 'utf8');
const chars = [...new Set(text)].sort();
const V = chars.length; // 65 for Tiny Shakespeare
const stoi = new Map(chars.map((c, i) => [c, i]));
const all = Int32Array.from(text, (c) => stoi.get(c));
const nTrain = Math.floor(all.length * 0.9);
const trainData = all.subarray(0, nTrain), valData = all.subarray(nTrain);

function getBatch(data) {
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    if (args.random) {
      for (let t = 0; t < T; t++) { x[b * T + t] = Math.floor(rand() * V); y[b * T + t] = Math.floor(rand() * V); }
    } else {
      const i = Math.floor(rand() * (data.length - T));
      x.set(data.subarray(i, i + T), b * T);
      y.set(data.subarray(i + 1, i + 1 + T), b * T);
    }
  }
  return { x, y };
}

// ---- parameters (nanoGPT's init: N(0, 0.02), residual projections N(0, 0.02/sqrt(2L))) -------
const params = [];
function param(name, shape, init, decay) {
  const v = tf.variable(init(shape), true, name);
  params.push({ v, decay });
  return v;
}
const normal = (std) => (shape) => tf.randomNormal(shape, 0, std, 'float32', Math.floor(rand() * 2 ** 31));
const zeros = (shape) => tf.zeros(shape);
const ones = (shape) => tf.ones(shape);
const projStd = 0.02 / Math.sqrt(2 * L);

const wte = param('wte', [V, C], normal(0.02), true);
const wpe = param('wpe', [T, C], normal(0.02), true);
const layers = [];
for (let l = 0; l < L; l++) {
  layers.push({
    ln1g: param(`h${l}.ln1.g`, [C], ones, false), ln1b: param(`h${l}.ln1.b`, [C], zeros, false),
    // c_attn kept as three [C, C] blocks (q, k, v): the same model, and it avoids a 5-D transpose
    qW: param(`h${l}.attn.q.w`, [C, C], normal(0.02), true), qB: param(`h${l}.attn.q.b`, [C], zeros, false),
    kW: param(`h${l}.attn.k.w`, [C, C], normal(0.02), true), kB: param(`h${l}.attn.k.b`, [C], zeros, false),
    vW: param(`h${l}.attn.v.w`, [C, C], normal(0.02), true), vB: param(`h${l}.attn.v.b`, [C], zeros, false),
    projW: param(`h${l}.proj.w`, [C, C], normal(projStd), true), projB: param(`h${l}.proj.b`, [C], zeros, false),
    ln2g: param(`h${l}.ln2.g`, [C], ones, false), ln2b: param(`h${l}.ln2.b`, [C], zeros, false),
    fcW: param(`h${l}.fc.w`, [C, 4 * C], normal(0.02), true), fcB: param(`h${l}.fc.b`, [4 * C], zeros, false),
    fc2W: param(`h${l}.fc2.w`, [4 * C, C], normal(projStd), true), fc2B: param(`h${l}.fc2.b`, [C], zeros, false),
  });
}
const lnfg = param('lnf.g', [C], ones, false), lnfb = param('lnf.b', [C], zeros, false);
const nParams = params.reduce((s, p) => s + p.v.size, 0);

// ---- fast ops ------------------------------------------------------------------------------
// Column sums of a 2-D [N, n] tensor as ones[1, N] x t: ~10x faster here than tf.sum(t, 0), which
// transposes first (this is also what broadcast-add gradients do, hence the custom affine below).
const onesRow = tf.ones([1, B * T]);
const colSum = (t) => tf.reshape(tf.matMul(onesRow, t), [t.shape[1]]);
// y = x W + b for 2-D x [N, in], W [in, out]; gradient with explicit transposes + 2-D matMul.
const linearB = tf.customGrad((x, w, b, save) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy, [xs, ws]) => [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), colSum(dy)],
  };
});
const linear = tf.customGrad((x, w, save) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy, [xs, ws]) => [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)],
  };
});
// Batched (3-D) a @ b with explicit transposes in the gradient (no transpose flags anywhere).
const bmm = tf.customGrad((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, [as, bs]) => [tf.matMul(dy, tf.transpose(bs, [0, 2, 1])), tf.matMul(tf.transpose(as, [0, 2, 1]), dy)],
  };
});

// tf.oneHot with dtype 'float32' is wrong on the wasm backend (it writes int32 bit patterns), so cast
const oneHot = (idx) => tf.cast(tf.oneHot(idx, V), 'float32');

// y = xhat * g + b over rows of [N, C], with the g and b gradients as column sums
const affine = tf.customGrad((xhat, g, b, save) => {
  save([xhat, g]);
  return {
    value: tf.add(tf.mul(xhat, g), b),
    gradFunc: (dy, [xs, gs]) => [tf.mul(dy, gs), colSum(tf.mul(dy, xs)), colSum(dy)],
  };
});
function layerNorm(x, g, b) { // x [N, C]
  const { mean, variance } = tf.moments(x, -1, true);
  return affine(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g, b);
}
const GELU_K = Math.sqrt(2 / Math.PI);
function gelu(x) { // tanh form, as GPT-2
  // 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3); tf.pow and tf.tanh are slow here
  const u2 = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), 2 * GELU_K);
  return tf.mul(x, tf.sigmoid(u2));
}
// additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above
const causalMask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
const attnScale = 1 / Math.sqrt(D);

function forwardLoss(xTok, yTok) { // int32 [B*T] each; returns mean cross-entropy
  const N = B * T;
  const tok = linear(oneHot(xTok), wte); // [N, C]
  let x = tf.reshape(tf.add(tf.reshape(tok, [B, T, C]), wpe), [N, C]);
  for (const p of layers) {
    const a = layerNorm(x, p.ln1g, p.ln1b);
    const split = (t, perm, shape) => tf.reshape(tf.transpose(tf.reshape(t, [B, T, H, D]), perm), shape);
    const q = split(linearB(a, p.qW, p.qB), [0, 2, 1, 3], [B * H, T, D]);
    const kT = split(linearB(a, p.kW, p.kB), [0, 2, 3, 1], [B * H, D, T]);
    const v = split(linearB(a, p.vW, p.vB), [0, 2, 1, 3], [B * H, T, D]);
    const att = tf.softmax(tf.add(tf.mul(bmm(q, kT), attnScale), causalMask)); // [BH, T, T]
    const y = bmm(att, v); // [BH, T, D]
    const yMerged = tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, D]), [0, 2, 1, 3]), [N, C]);
    x = tf.add(x, linearB(yMerged, p.projW, p.projB));
    const h = gelu(linearB(layerNorm(x, p.ln2g, p.ln2b), p.fcW, p.fcB));
    x = tf.add(x, linearB(h, p.fc2W, p.fc2B));
  }
  const logits = linear(layerNorm(x, lnfg, lnfb), tf.transpose(wte)); // tied head, [N, V]
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, oneHot(yTok)), -1)));
}

// ---- AdamW + global-norm clip --------------------------------------------------------------
const moments = params.map(({ v }) => ({ m: tf.variable(tf.zerosLike(v), false), s: tf.variable(tf.zerosLike(v), false) }));
const varList = params.map((p) => p.v);
let stepCount = 0;

function lrAt(it) {
  if (it < WARMUP) return (LR * (it + 1)) / (WARMUP + 1);
  if (it > DECAY_ITERS) return MIN_LR;
  const ratio = (it - WARMUP) / (DECAY_ITERS - WARMUP);
  return MIN_LR + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (LR - MIN_LR);
}

function trainStep(batch, it) {
  const xT = tf.tensor1d(batch.x, 'int32'), yT = tf.tensor1d(batch.y, 'int32');
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => forwardLoss(xT, yT), varList);
    const gs = varList.map((v) => grads[v.name]);
    // global-norm clip to CLIP, without reading the norm back to JS
    const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(CLIP, tf.add(norm, 1e-6)));
    stepCount++;
    const lr = lrAt(it);
    const bc1 = 1 - BETA1 ** stepCount, bc2 = 1 - BETA2 ** stepCount;
    params.forEach(({ v, decay }, i) => {
      const g = tf.mul(gs[i], scale);
      const { m, s } = moments[i];
      m.assign(tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1)));
      s.assign(tf.add(tf.mul(s, BETA2), tf.mul(tf.square(g), 1 - BETA2)));
      let upd = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(s, bc2)), EPS));
      if (decay) upd = tf.add(upd, tf.mul(v, WD));
      v.assign(tf.sub(v, tf.mul(upd, lr)));
    });
    return value;
  });
  xT.dispose(); yT.dispose();
  const l = loss.dataSync()[0]; // sync, as nanoGPT's loss.item()
  loss.dispose();
  return l;
}

function estimateLoss(data, iters) {
  let sum = 0;
  for (let i = 0; i < iters; i++) {
    const batch = getBatch(data);
    sum += tf.tidy(() => forwardLoss(tf.tensor1d(batch.x, 'int32'), tf.tensor1d(batch.y, 'int32')).dataSync()[0]);
  }
  return sum / iters;
}

// ---- run -----------------------------------------------------------------------------------
const logEvery = Number(args.log);
const peer = 'tfjs-wasm 4.22 (fast form)';
const tfInfo = { backend: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };

if (args.full) {
  const iters = Number(args.iters ?? 2000), evalIters = Number(args['eval-iters']), evalInterval = Number(args['eval-interval']);
  const t0 = performance.now();
  let trainMs = 0, lastLoss = NaN;
  for (let it = 0; it < iters; it++) {
    if (evalInterval > 0 && it % evalInterval === 0 && it > 0) {
      console.error(`iter ${it}: val loss ${estimateLoss(valData, evalIters).toFixed(4)}`);
    }
    const t1 = performance.now();
    lastLoss = trainStep(getBatch(trainData), it);
    trainMs += performance.now() - t1;
    if (logEvery > 0 && it % logEvery === 0) console.error(`iter ${it}: loss ${lastLoss.toFixed(4)} (${((performance.now() - t1)).toFixed(0)} ms)`);
  }
  const trainLoss = estimateLoss(trainData, evalIters), valLoss = estimateLoss(valData, evalIters);
  console.log(JSON.stringify({
    peer, mode: 'full', iters, train_loss: trainLoss, val_loss: valLoss, train_s: trainMs / 1000,
    total_s: (performance.now() - t0) / 1000, ms_per_step: trainMs / iters, tokens_per_s: (B * T * iters) / (trainMs / 1000),
    params: nParams, ...tfInfo,
  }));
} else {
  const iters = Number(args.iters ?? 20), warm = Number(args.warmup);
  const times = [], losses = [];
  let cpu0, wall0;
  for (let it = 0; it < warm + iters; it++) {
    if (it === warm) { cpu0 = process.cpuUsage(); wall0 = performance.now(); }
    const batch = getBatch(trainData);
    const t1 = performance.now();
    const l = trainStep(batch, it);
    const ms = performance.now() - t1;
    losses.push(l);
    if (it >= warm) times.push(ms);
    if (logEvery > 0 && it % logEvery === 0) console.error(`iter ${it}: loss ${l.toFixed(4)} (${ms.toFixed(0)} ms)`);
  }
  // CPU time this process got over the timed iterations / wall time: below ~0.95 means it was
  // descheduled (another process held the core), and the timing is not trustworthy
  const cpu = process.cpuUsage(cpu0), cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
  if (args.profile) { // kernel times of one more step, by kernel name, to stderr
    const info = await tf.profile(() => { trainStep(getBatch(trainData), warm + iters); });
    const by = new Map();
    for (const k of info.kernels) {
      const key = process.env.PROFILE_SHAPES ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('')}` : k.name;
      const e = by.get(key) ?? { ms: 0, n: 0 };
      e.ms += k.kernelTimeMs; e.n++; by.set(key, e);
    }
    const total = info.kernels.reduce((s, k) => s + k.kernelTimeMs, 0);
    console.error(`profile: ${info.kernels.length} kernels, ${total.toFixed(1)} ms in kernels`);
    for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) console.error(`  ${name.padEnd(40)} ${e.ms.toFixed(1).padStart(7)} ms  x${e.n}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const ms = sorted[Math.floor(sorted.length / 2)];
  console.log(JSON.stringify({
    peer, ms_per_step: +ms.toFixed(1), tokens_per_s: Math.round((B * T) / (ms / 1000)),
    iters, warmup: warm, cpu_share: +cpuShare.toFixed(2), min_ms: +sorted[0].toFixed(1), max_ms: +sorted[sorted.length - 1].toFixed(1),
    first_loss: +losses[0].toFixed(4), last_loss: +losses[losses.length - 1].toFixed(4),
    data: args.random ? 'random tokens' : 'tinyshakespeare', params: nParams, ...tfInfo,
    tensors: tf.memory().numTensors,
  }));
}
