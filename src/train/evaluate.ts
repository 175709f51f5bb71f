// Evaluation on a text: mean next-token loss and bits per byte (the tokenizer-independent measure:
// total loss in bits over the text's UTF-8 bytes).

import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenizer/types.js';

export interface EvalResult {
  tokens: number; // tokens predicted
  bytes: number; // UTF-8 bytes of the text
  lossPerToken: number; // nats
  bitsPerByte: number;
}

/**
 * Splits ids into consecutive windows of up to contextLength + 1 tokens (each window's last
 * token starts the next), so every token after the first is predicted once.
 */
export function evaluateIds(model: Model, ids: Int32Array, contextLength = model.contextLength, batch = 8): { tokens: number; totalLoss: number } {
  if (!(Number.isInteger(contextLength) && contextLength >= 1)) throw new Error(`the evaluation context must be a whole number ≥ 1, got ${contextLength}`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`the evaluation batch must be a whole number ≥ 1, got ${batch}`);
  if (ids.length < 2) throw new Error('the text is too short to evaluate: it needs at least two tokens');
  const T = Math.min(contextLength, model.contextLength);
  const windows: [number, number][] = [];
  for (let s = 0; s + 1 < ids.length; s += T) windows.push([s, Math.min(s + T + 1, ids.length)]);
  let totalLoss = 0, tokens = 0;
  noGrad(() => {
    for (let w = 0; w < windows.length; w += batch) {
      const group = windows.slice(w, w + batch);
      const len = Math.max(...group.map(([a, b]) => b - a)) - 1;
      const x = new Int32Array(group.length * len), y = new Int32Array(group.length * len).fill(-1);
      group.forEach(([a, b], i) => {
        x.set(ids.subarray(a, b - 1), i * len);
        y.set(ids.subarray(a + 1, b), i * len);
      });
      const count = y.reduce((n, t) => n + (t >= 0 ? 1 : 0), 0);
      totalLoss += tidy(() => model.forward(op.tensor(x, [group.length, len]), { targets: op.tensor(y, [group.length, len]) }).loss!.item()) * count;
      tokens += count;
    }
  });
  return { tokens, totalLoss };
}

/**
 * Evaluates a text, or only its last `tailFraction` of tokens (the validation split that
 * `glasslm train --val-fraction` holds out). Bytes are those of the predicted tokens.
 *
 * Given the file's bytes, bits per byte are over those bytes: text that is valid UTF-8 is encoded
 * as text; bytes that are not are encoded as bytes by a byte-level vocabulary (encodeBytes), and
 * otherwise decoded with U+FFFD replacements and the byte count scaled back to the file's.
 */
export function evaluateText(model: Model, tokenizer: Tokenizer, text: string | Uint8Array, contextLength?: number, tailFraction = 1): EvalResult {
  if (!(tailFraction > 0 && tailFraction <= 1)) throw new Error(`the evaluated fraction must be in (0, 1], got ${tailFraction}`);
  let all: Int32Array, fileBytes: number | undefined;
  if (typeof text === 'string') all = Int32Array.from(tokenizer.encode(text, { allowedSpecial: 'all' }));
  else {
    fileBytes = text.length;
    let valid: string | undefined;
    try {
      valid = new TextDecoder('utf-8', { fatal: true }).decode(text);
    } catch {
      valid = undefined;
    }
    if (valid !== undefined) all = Int32Array.from(tokenizer.encode(valid, { allowedSpecial: 'all' }));
    else if (tokenizer.encodeBytes) all = Int32Array.from(tokenizer.encodeBytes(text));
    else all = Int32Array.from(tokenizer.encode(new TextDecoder('utf-8').decode(text), { allowedSpecial: 'all' }));
  }
  const ids = all.subarray(Math.floor(all.length * (1 - tailFraction)));
  const { tokens, totalLoss } = evaluateIds(model, ids, contextLength);
  // the first token is never predicted: count the bytes of the others
  let bytes = tokenizer.decodeBytes(ids.subarray(1)).length;
  if (fileBytes !== undefined) {
    // the tokens decode to the file's bytes unless U+FFFD replaced some: scale back to the file's count
    const total = tokenizer.decodeBytes(all).length;
    if (total !== fileBytes) bytes = Math.round((bytes * fileBytes) / total);
  }
  return { tokens, bytes, lossPerToken: totalLoss / tokens, bitsPerByte: totalLoss / Math.LN2 / bytes };
}
