// Growing a model's vocabulary: the token embedding (and an untied output head) gain rows for
// new token ids, each initialised to the mean of the existing rows, so a new token starts as an
// "average token" (its logit starts near the mean logit instead of at a random value), as
// Hugging Face's resize_token_embeddings does by default.

import * as op from '../ops/index.js';
import { keep, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { parameterShapes } from './config.js';
import { Model } from './model.js';

/**
 * A model with `vocabSize` token ids (≥ the current count): every parameter whose shape depends
 * on the vocabulary (found by comparing the config's parameter shapes) gains rows, each the mean
 * of the existing rows. The new model shares every other parameter with `model`, whose
 * vocabulary-sized tensors are disposed: use only the returned model afterwards.
 */
export function growVocabulary(model: Model, vocabSize: number): Model {
  const old = model.config;
  if (!Number.isInteger(vocabSize) || vocabSize < old.vocabSize) throw new Error(`the vocabulary can only grow: ${vocabSize} < ${old.vocabSize}`);
  if (model.quantized.size > 0) throw new Error('grow the vocabulary before quantizing: int8 copies cannot gain rows');
  if (vocabSize === old.vocabSize) return model;
  const config = { ...old, vocabSize };
  const before = parameterShapes(old);
  const after = parameterShapes(config);
  const params = new Map(model.params);
  for (const [name, shape] of after) {
    const was = before.get(name)!;
    if (was.every((d, i) => d === shape[i])) continue;
    if (shape.length !== 2 || was[0] !== old.vocabSize || shape[0] !== vocabSize) throw new Error(`cannot grow parameter '${name}' ${was} -> ${shape}: only rows per token are supported`);
    const w = model.params.get(name)!;
    const grown = keep(tidy(() => appendMeanRows(w, vocabSize - old.vocabSize)));
    grown.requiresGrad = w.requiresGrad;
    params.set(name, grown);
    w.dispose();
  }
  return new Model(config, params);
}

/** w (V, C) -> (V + n, C): the new rows are each the mean of w's rows. */
function appendMeanRows(w: Tensor, n: number): Tensor {
  const [V, C] = w.shape;
  const src = w.floats(); // (V, C) row-major
  const out = w.dtype === 'float64' ? new Float64Array((V + n) * C) : new Float32Array((V + n) * C);
  out.set(src.subarray(0, V * C));
  const mean = new Float64Array(C);
  for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) mean[c] += src[v * C + c];
  for (let c = 0; c < C; c++) mean[c] /= V;
  for (let r = V; r < V + n; r++) for (let c = 0; c < C; c++) out[r * C + c] = mean[c];
  return op.tensor(out, [V + n, C], w.dtype);
}
