// Evaluating an assistant: multiple-choice questions scored by log-likelihood, and the loss on a
// fine-tuning file's completions (the assistant's tokens only, as training takes it).

import type { ChatTemplate } from '../chat/template.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { encodeExamples } from './encode.js';
import { packSequences } from './pack.js';
import type { SftExample } from './records.js';

export interface ChoiceQuestion {
  question: string;
  choices: string[];
  /** Index of the right choice. */
  answer: number;
  source?: string;
}

/** JSONL of {"question": "…", "choices": ["…", …], "answer": index} -> questions (errors name file:line:key). */
export function parseChoiceQuestions(text: string, file: string): ChoiceQuestion[] {
  const out: ChoiceQuestion[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const at = `${file}:${i + 1}`;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line);
    } catch (e) {
      throw new Error(`${at}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error(`${at}: a record must be a JSON object`);
    if (typeof r.question !== 'string') throw new Error(`${at}: key 'question' must be a string`);
    if (!Array.isArray(r.choices) || r.choices.length < 2 || !r.choices.every((c) => typeof c === 'string' && c !== '')) throw new Error(`${at}: key 'choices' must be a list of at least two non-empty strings`);
    if (typeof r.answer !== 'number' || !Number.isInteger(r.answer) || r.answer < 0 || r.answer >= r.choices.length) throw new Error(`${at}: key 'answer' must be the index of a choice (0 … ${r.choices.length - 1})`);
    out.push({ question: r.question, choices: r.choices as string[], answer: r.answer, source: at });
  });
  if (out.length === 0) throw new Error(`${file}: holds no questions`);
  return out;
}

/**
 * log p(choice | question) for each choice: the sum of the log-probabilities of the choice's
 * tokens (' ' + choice, encoded after the question's tokens), and their count.
 */
export function choiceLogLikelihoods(model: Model, tokenizer: Tokenizer, q: ChoiceQuestion): { logLikelihood: number; tokens: number }[] {
  const context = tokenizer.encodeOrdinary(q.question);
  const head = tokenizer.bos !== undefined && context.length === 0 ? [tokenizer.bos] : [];
  return q.choices.map((choice) => {
    const cont = tokenizer.encodeOrdinary(' ' + choice.trim());
    let ids = [...head, ...context, ...cont];
    if (ids.length > model.contextLength) ids = ids.slice(ids.length - model.contextLength); // keep the end: the choice
    const n = Math.min(cont.length, ids.length - 1);
    const targets = new Int32Array(ids.length).fill(-1);
    for (let t = ids.length - 1 - n; t < ids.length - 1; t++) targets[t] = ids[t + 1];
    const mean = noGrad(() => tidy(() => model.forward(op.tensor(ids, [1, ids.length], 'int32'), { targets: op.tensor(targets, [1, ids.length], 'int32') }).loss!.item()));
    return { logLikelihood: -mean * n, tokens: n };
  });
}

export interface ChoiceResult {
  questions: number;
  /** Right when the choice with the highest log-likelihood is the answer. */
  accuracy: number;
  /** Right when the highest log-likelihood per character of the choice is the answer (favours no length). */
  accuracyPerChar: number;
}

export function scoreChoices(model: Model, tokenizer: Tokenizer, questions: readonly ChoiceQuestion[]): ChoiceResult {
  let right = 0, rightNorm = 0;
  for (const q of questions) {
    const ll = choiceLogLikelihoods(model, tokenizer, q);
    const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
    if (argmax(ll.map((x) => x.logLikelihood)) === q.answer) right++;
    if (argmax(ll.map((x, i) => x.logLikelihood / q.choices[i].length)) === q.answer) rightNorm++;
  }
  return { questions: questions.length, accuracy: right / questions.length, accuracyPerChar: rightNorm / questions.length };
}

/**
 * The mean loss (nats per token) on the examples' assistant (completion) tokens, as fine-tuning
 * counts it: examples longer than the context are cut to it, and those left with no completion
 * token are dropped (both counted); throws when every example is dropped.
 */
export function completionLoss(model: Model, tokenizer: Tokenizer, template: ChatTemplate | null, examples: readonly SftExample[], batch = 8):
  { examples: number; tokens: number; loss: number; truncated: number; dropped: number } {
  const T = model.contextLength;
  const { sequences, truncated, dropped } = encodeExamples(examples, tokenizer, template, T);
  if (sequences.length === 0) throw new Error(`all ${dropped} examples dropped: none has a completion token within the model's context of ${T} tokens`);
  const rows = packSequences(sequences, T);
  let sum = 0, count = 0;
  noGrad(() => {
    for (let r = 0; r < rows.rows; r += batch) {
      const n = Math.min(batch, rows.rows - r);
      const span = (a: Int32Array) => a.slice(r * T, (r + n) * T);
      const targets = span(rows.targets);
      const k = targets.reduce((c, t) => c + (t >= 0 ? 1 : 0), 0);
      if (k === 0) continue;
      sum += tidy(() => model.forward(op.tensor(span(rows.ids), [n, T], 'int32'), { targets: op.tensor(targets, [n, T], 'int32'), positions: span(rows.positions), segments: span(rows.segments) }).loss!.item()) * k;
      count += k;
    }
  });
  return { examples: sequences.length, tokens: count, loss: sum / count, truncated, dropped };
}
