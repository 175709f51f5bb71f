// Examples -> token sequences with next-token targets that count only what the assistant (or the
// completion) wrote: targets[t] = ids[t+1] where token t+1 is the assistant's, -1 elsewhere.
//
// Worked example (prompt/completion, a character vocabulary): prompt "ab", completion "cd"
//   ids      a   b   c   d
//   targets -1   c   d  -1     (a predicts the prompt's b: not counted; d predicts nothing)

import { encodeConversation } from '../chat/encode.js';
import type { ChatTemplate } from '../chat/template.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { SftExample } from './records.js';

/** One example's tokens (n) and next-token targets (n; -1 where no loss is taken). */
export interface SftSequence {
  ids: Int32Array;
  targets: Int32Array;
}

/** ids with a per-token "learn this" flag -> targets shifted by one (the first token is never predicted). */
export function maskedTargets(ids: ArrayLike<number>, learn: ArrayLike<number>): Int32Array {
  const n = ids.length;
  const targets = new Int32Array(n).fill(-1);
  for (let t = 0; t + 1 < n; t++) if (learn[t + 1]) targets[t] = ids[t + 1];
  return targets;
}

/**
 * One example -> ids and targets. A conversation is rendered with the template and the loss is
 * taken on the assistant's turns (their end-of-turn marker included); a prompt/completion pair is
 * plain text, bos first when the vocabulary has one, eos after the completion, and the loss is
 * taken on the completion and that eos.
 */
export function encodeExample(example: SftExample, tokenizer: Tokenizer, template: ChatTemplate | null): SftSequence {
  if (example.kind === 'chat') {
    if (!template) throw new Error('conversation records need a chat template');
    const { ids, assistant } = encodeConversation(tokenizer, template, example.messages);
    return { ids: Int32Array.from(ids), targets: maskedTargets(ids, assistant) };
  }
  const prompt = tokenizer.encodeOrdinary(example.prompt);
  const completion = tokenizer.encodeOrdinary(example.completion);
  const head = tokenizer.bos !== undefined ? [tokenizer.bos] : [];
  const tail = tokenizer.eos !== undefined ? [tokenizer.eos] : [];
  const ids = [...head, ...prompt, ...completion, ...tail];
  const learn = ids.map((_, i) => (i >= head.length + prompt.length ? 1 : 0));
  return { ids: Int32Array.from(ids), targets: maskedTargets(ids, learn) };
}

export interface EncodeReport {
  sequences: SftSequence[];
  /** Examples cut to the context length (their end is lost). */
  truncated: number;
  /** Examples dropped: nothing left to learn after the cut. */
  dropped: number;
}

/** Encodes every example, cutting each to `contextLength` tokens; names the example that fails. */
export function encodeExamples(examples: readonly SftExample[], tokenizer: Tokenizer, template: ChatTemplate | null, contextLength: number): EncodeReport {
  const sequences: SftSequence[] = [];
  let truncated = 0, dropped = 0;
  examples.forEach((ex, i) => {
    let seq: SftSequence;
    try {
      seq = encodeExample(ex, tokenizer, template);
    } catch (e) {
      throw new Error(`${ex.source ?? `example ${i}`}: ${(e as Error).message}`);
    }
    if (seq.ids.length > contextLength) {
      truncated++;
      const targets = seq.targets.slice(0, contextLength);
      targets[contextLength - 1] = -1; // its next token was cut
      seq = { ids: seq.ids.slice(0, contextLength), targets };
    }
    if (!seq.targets.some((t) => t >= 0)) {
      dropped++;
      return;
    }
    sequences.push(seq);
  });
  return { sequences, truncated, dropped };
}
