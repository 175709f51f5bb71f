// Worker side of the calls that are not generation: embeddings and the inspection views. Each
// returns the same typed data as the library's view (and the CLI's --json). Arguments were
// checked against the route's schema and tokenized on the HTTP side; the views check ranges.

import { attentionPatterns, headScores, inductionScores, tokenSources } from '../inspect/attention.js';
import { directLogitAttribution } from '../inspect/attribution.js';
import { contextualVectors, nearestTokens } from '../inspect/embeddings.js';
import { logitLens } from '../inspect/lens.js';
import { neuronContexts, topNeurons } from '../inspect/neurons.js';
import { activationPatching } from '../inspect/patching.js';
import { resolvePosition, tokenLabel } from '../inspect/prompt.js';
import { textEmbedding } from '../inspect/text-embedding.js';
import type { Model } from '../models/model.js';
import type { Tokenizer } from '../tokenizer/types.js';

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A position from a request: negative counts from the end, as the CLI's --position. */
function position(p: number | undefined, length: number): number | undefined {
  return p === undefined ? undefined : resolvePosition(p, length);
}

export function callView(model: Model, tokenizer: Tokenizer, method: string, a: Args): unknown {
  const decode = tokenLabel(tokenizer);
  switch (method) {
    case 'embed':
      return (a.inputs as number[][]).map((ids) => Array.from(textEmbedding(model, ids)));
    case 'lens':
      return logitLens(model, a.ids, { k: a.k ?? 5, target: a.target, decode });
    case 'attention': {
      const att = attentionPatterns(model, a.ids, { decode, qkv: a.qkv ?? true });
      const scores = headScores(att.patterns);
      const n = a.inductionLength ?? 20;
      if (!(Number.isInteger(n) && n >= 2 && 2 * n + 1 <= model.config.contextLength)) throw new Error(`induction_length must be a whole number from 2 to ${(model.config.contextLength - 1) >> 1}`);
      const induction = inductionScores(model, { n, seed: a.seed ?? 0, bos: tokenizer.bos });
      const query = position(a.query, a.ids.length);
      const sources = query === undefined ? undefined : tokenSources(att.patterns, query);
      return { ...att, scores: { ...scores, induction: induction.scores, inductionIds: induction.ids }, sources };
    }
    case 'attribution':
      return directLogitAttribution(model, a.ids, { position: position(a.position, a.ids.length), token: a.token, wrong: a.wrong, decode });
    case 'patching':
      return activationPatching(model, a.clean, a.corrupted, { answer: a.answer, wrong: a.wrong, decode });
    case 'neurons':
      if (a.neuron !== undefined) return neuronContexts(model, a.ids, a.neuron.layer, a.neuron.index, { k: a.top ?? 5, window: a.window ?? 8, decode });
      return topNeurons(model, a.ids, { position: position(a.position, a.ids.length), layer: a.layer, k: a.top ?? 10, decode });
    case 'vectors':
      if (a.token !== undefined) return nearestTokens(model, a.token, a.top ?? 10, decode);
      return contextualVectors(model, a.sentences, a.word, a.layer ?? model.config.layers - 1, (text) => [
        ...(tokenizer.bos !== undefined ? [tokenizer.bos] : []),
        ...(a.allowSpecial ? tokenizer.encode(text, { allowedSpecial: 'all' }) : tokenizer.encodeOrdinary(text)),
      ]);
    default:
      throw new Error(`unknown call '${method}'`);
  }
}
