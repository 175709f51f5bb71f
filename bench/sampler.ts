// Sampling cost per token over a GPT-2-sized vocabulary (50,257 logits): greedy, temperature,
// top-k, top-p. usage: npx tsc -p . && node dist/bench/sampler.js

import { Sampler, type SamplingOptions } from '../src/generate/sampler.js';

const V = 50257;
const logits = new Float32Array(V);
let s = 1;
for (let i = 0; i < V; i++) {
  s = (s * 16807) % 2147483647; // a fixed pseudo-random row
  logits[i] = (s / 2147483647) * 10;
}
const settings: SamplingOptions[] = [{ temperature: 0 }, { temperature: 1 }, { temperature: 0.8, topK: 40 }, { temperature: 0.8, topP: 0.9 }, { temperature: 1, topK: 50, topP: 0.95 }];
for (const opts of settings) {
  const sampler = new Sampler({ ...opts, seed: 1 });
  for (let i = 0; i < 20; i++) sampler.sample(logits);
  const n = 50, t0 = performance.now();
  for (let i = 0; i < n; i++) sampler.sample(logits);
  console.log(`${JSON.stringify(opts).padEnd(42)} ${((performance.now() - t0) / n).toFixed(2)} ms per token`);
}
