// Log-probabilities of completions given prompts, batched: log π(completion | prompt) is the sum,
// over the completion's tokens only, of the log-probability of each token given everything before
// it. One forward pass per batch: the sequences prompt + completion are right-padded to the
// longest, and the next-token targets are -1 (ignored) on the prompt and on the padding.

import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { ChatTurn, PreferencePrompt } from './data.js';

/** A prompt and a completion as token ids. */
export interface TokenizedExample {
  prompt: number[];
  completion: number[];
}

/** Renders chat turns to the prompt text (a chat template with the generation prompt added). */
export type PromptRenderer = (messages: ChatTurn[]) => string;

/** The prompt's text: as given, or its turns rendered by the chat template. */
export function promptText(prompt: PreferencePrompt, render?: PromptRenderer): string {
  if ('text' in prompt) return prompt.text;
  if (!render) throw new Error('this prompt is given as chat messages, and the model has no chat template to render them');
  return render(prompt.messages);
}

export interface EncodeOptions {
  /** Most tokens of prompt + completion (the context length used for training). */
  maxLength: number;
  /** Put the tokenizer's BOS before the prompt (default: when it has one). */
  addBos?: boolean;
  /** End the completion with the tokenizer's end-of-text token (default: when it has one), so that stopping is learned too. */
  addEos?: boolean;
  /** The prompt was rendered by a chat template: its special-token strings become special tokens. */
  promptSpecial?: boolean;
}

/**
 * Tokenizes a prompt and a completion separately (so the boundary between them is exact) and makes
 * them fit maxLength: the prompt keeps its last tokens, at least half the window when it is long;
 * then the completion keeps its first tokens.
 */
export function encodeExample(tokenizer: Tokenizer, prompt: string, completion: string, opts: EncodeOptions): TokenizedExample {
  const bos = (opts.addBos ?? true) && tokenizer.bos !== undefined ? [tokenizer.bos] : [];
  const eos = (opts.addEos ?? true) && tokenizer.eos !== undefined ? [tokenizer.eos] : [];
  let p = [...bos, ...(opts.promptSpecial ? tokenizer.encode(prompt, { allowedSpecial: 'all' }) : tokenizer.encodeOrdinary(prompt))];
  let c = [...tokenizer.encodeOrdinary(completion), ...eos];
  if (p.length === 0) throw new Error('the prompt is empty: it needs at least one token to condition on');
  if (c.length === 0) throw new Error('the completion is empty');
  const max = opts.maxLength;
  if (max < 2) throw new Error(`the maximum length must be at least 2 tokens, got ${max}`);
  if (p.length + c.length > max) {
    const keepPrompt = Math.min(p.length, Math.max(max - c.length, Math.floor(max / 2)));
    p = p.slice(p.length - keepPrompt);
    c = c.slice(0, max - keepPrompt);
  }
  return { prompt: p, completion: c };
}

export interface CompletionBatch {
  /** Inputs (B, T) int32: prompt + completion without its last token, right-padded with 0. */
  ids: Tensor;
  /** Next-token targets (B, T) int32: the completion's tokens where they are predicted, -1 elsewhere. */
  targets: Tensor;
  /** Per row: the position of the first predicted completion token, and how many there are. */
  start: number[];
  count: number[];
}

/**
 * Inputs and targets for a batch. For prompt p (P tokens) and completion c (C tokens), the input
 * row is p ++ c[0 … C-2] (P + C - 1 tokens) and position P - 1 + i predicts c[i].
 */
export function completionBatch(examples: readonly TokenizedExample[]): CompletionBatch {
  if (examples.length === 0) throw new Error('a batch needs at least one example');
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.prompt.length + e.completion.length - 1));
  const ids = new Int32Array(B * T), targets = new Int32Array(B * T).fill(-1);
  const start: number[] = [], count: number[] = [];
  examples.forEach((e, b) => {
    if (e.prompt.length === 0 || e.completion.length === 0) throw new Error('an example needs at least one prompt token and one completion token');
    const seq = [...e.prompt, ...e.completion];
    ids.set(seq.slice(0, seq.length - 1), b * T);
    const first = e.prompt.length - 1;
    for (let i = 0; i < e.completion.length; i++) targets[b * T + first + i] = e.completion[i];
    start.push(first);
    count.push(e.completion.length);
  });
  return { ids: op.tensor(ids, [B, T]), targets: op.tensor(targets, [B, T]), start, count };
}

/**
 * Per-token log-probabilities of each completion, (B, T), 0 off the completion; differentiable
 * when the model's parameters require gradients.
 */
export function completionTokenLogProbs(model: Model, batch: CompletionBatch): Tensor {
  const { logits } = model.forward(batch.ids); // (B, T, vocab)
  return op.tokenLogProbs(logits, batch.targets); // (B, T)
}

/** log π(completion | prompt) for each example: (B,), summed over the completion's tokens only. */
export function sequenceLogProbs(model: Model, examples: readonly TokenizedExample[]): Tensor {
  const batch = completionBatch(examples);
  return op.sum(completionTokenLogProbs(model, batch), [1]); // (B,)
}
