// Greedy decode speed with the KV cache on a GPT-2-small-shaped model (124M, random weights).
// Prints one JSON line: tokens/s, and the prompt (prefill) tokens/s.
// usage: node dist/bench/decode.js [--backend auto|cpu|wasm] [--threads N] [--tokens 32] [--prompt 128] [--decode-after 1]
// --decode-after N: decode after an N-token prompt (the KV cache then holds N positions).

import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/select.js';
import { generateIds } from '../src/generate/generate.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, threads: { type: 'string' }, tokens: { type: 'string', default: '32' }, prompt: { type: 'string', default: '128' }, 'decode-after': { type: 'string', default: '1' } } });
const { backend, note } = await selectBackend(values.backend, values.threads ? Number(values.threads) : undefined);
setBackend(backend);
const model = Model.init({ arch: 'gpt2', vocabSize: 50257, contextLength: 1024, dim: 768, layers: 12, heads: 12, mlpHidden: 3072, normEps: 1e-5 }, new op.Rng(0));
model.transposeConv1D(); // as `glasslm generate` holds GPT-2's matrices
const rng = new op.Rng(1);
const promptLen = Number(values.prompt);
const prompt = Array.from({ length: promptLen }, () => rng.int(50257));
// prefill: the whole prompt in one forward pass
const t0 = performance.now();
noGrad(() => tidy(() => model.forward(op.tensor(Int32Array.from(prompt), [1, promptLen]), { kvCache: model.createKVCache(1), lastPositionOnly: true }).logits));
const prefillS = (performance.now() - t0) / 1000;
// decode: one token at a time after a prompt (time from the second token on)
const n = Number(values.tokens), after = Number(values['decode-after']);
const decodePrompt = Array.from({ length: after }, (_, i) => (i === 0 ? 50256 : rng.int(50257)));
let t1 = 0, count = 0;
for (const _ of generateIds(model, decodePrompt, { temperature: 0, maxTokens: n + 1 })) {
  if (count === 0) t1 = performance.now();
  count++;
}
const decodeS = (performance.now() - t1) / 1000;
console.log(JSON.stringify({ workload: 'GPT-2-small shape, greedy decode with KV cache', backend: note, decode_after_tokens: after, decode_tokens_per_s: n / decodeS, prefill_tokens: promptLen, prefill_tokens_per_s: promptLen / prefillS }));
(backend as { dispose?: () => void }).dispose?.();
