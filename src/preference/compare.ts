// Before and after: the same prompts through two models (two checkpoints, or one base with and
// without its adapter): each model's greedy answer, the per-token log-probability of each answer
// under both models (what tuning made more or less likely), and the logit-lens grids of the
// prompt + answer side by side. Typed data for the CLI (--json) and pages to draw.

import type { LinearAdapter } from '../models/adapters.js';
import type { Model } from '../models/model.js';
import { generateIds } from '../generate/generate.js';
import { type LensResult, logitLens } from '../inspect/lens.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { completionBatch, completionTokenLogProbs } from './logprobs.js';

/** One side of the comparison: a model, with the adapter it runs with (null: none). */
export interface ModelSide {
  name: string;
  model: Model;
  adapter: LinearAdapter | null;
}

export interface TokenLogProb {
  id: number;
  token: string;
  /** log p under side A and side B, and B − A. */
  logProbA: number;
  logProbB: number;
  diff: number;
}

export interface AnswerComparison {
  /** The answer's text, which side wrote it, and every token scored under both sides. */
  by: 'A' | 'B';
  text: string;
  tokens: TokenLogProb[];
  /** Summed log-probabilities of the whole answer under A and B. */
  totalA: number;
  totalB: number;
}

export interface PromptComparison {
  prompt: string;
  answers: [AnswerComparison, AnswerComparison];
  /** Logit lens over prompt + A's answer, under A and under B (same ids, so the grids line up). */
  lens: { ids: number[]; a: LensResult; b: LensResult };
}

export interface Comparison {
  a: string;
  b: string;
  prompts: PromptComparison[];
}

export interface CompareOptions {
  /** Most tokens per greedy answer (default 32). */
  maxTokens?: number;
  /** Top-k of each lens cell (default 3). */
  k?: number;
}

function using<T>(side: ModelSide, fn: (m: Model) => T): T {
  const saved = side.model.adapter;
  side.model.adapter = side.adapter;
  try {
    return noGrad(() => fn(side.model));
  } finally {
    side.model.adapter = saved;
  }
}

export function compareModels(A: ModelSide, B: ModelSide, tokenizer: Tokenizer, prompts: readonly string[], opts: CompareOptions = {}): Comparison {
  if (A.model.config.vocabSize !== B.model.config.vocabSize) throw new Error(`the two models have different vocabularies (${A.model.config.vocabSize} and ${B.model.config.vocabSize})`);
  const maxTokens = opts.maxTokens ?? 32;
  const bos = tokenizer.bos !== undefined ? [tokenizer.bos] : [];
  const stop = tokenizer.eos !== undefined ? [tokenizer.eos] : [];
  const decode = (id: number) => tokenizer.decode([id]);
  return {
    a: A.name, b: B.name,
    prompts: prompts.map((prompt) => {
      const promptIds = [...bos, ...tokenizer.encodeOrdinary(prompt)];
      const greedy = (side: ModelSide) => using(side, (m) => {
        const ids: number[] = [];
        for (const t of generateIds(m, promptIds, { temperature: 0, maxTokens, stopIds: stop })) ids.push(t.id);
        return ids.length > 0 ? ids : [...stop];
      });
      const score = (side: ModelSide, ids: number[]) => using(side, (m) => tidy(() => {
        const batch = completionBatch([{ prompt: promptIds, completion: ids }]);
        const lp = completionTokenLogProbs(m, batch).toArray(); // (1, T): completion token i at position start + i
        return ids.map((_, i) => lp[batch.start[0] + i]);
      }));
      const answer = (by: 'A' | 'B', ids: number[]): AnswerComparison => {
        const la = ids.length ? score(A, ids) : [], lb = ids.length ? score(B, ids) : [];
        const tokens = ids.map((id, i) => ({ id, token: decode(id), logProbA: la[i], logProbB: lb[i], diff: lb[i] - la[i] }));
        const shown = ids.filter((id) => id !== tokenizer.eos);
        return { by, text: tokenizer.decode(shown), tokens, totalA: la.reduce((s, x) => s + x, 0), totalB: lb.reduce((s, x) => s + x, 0) };
      };
      const idsA = greedy(A), idsB = greedy(B);
      const lensIds = [...promptIds, ...idsA].slice(0, A.model.contextLength);
      return {
        prompt,
        answers: [answer('A', idsA), answer('B', idsB)],
        lens: { ids: lensIds, a: using(A, (m) => logitLens(m, lensIds, { k: opts.k ?? 3, decode })), b: using(B, (m) => logitLens(m, lensIds, { k: opts.k ?? 3, decode })) },
      };
    }),
  };
}
