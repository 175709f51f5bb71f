// Continuous batching: many requests decode together, one batched forward per step.
//
// Each sequence owns one row of a shared KV cache and keeps its own length, so sequences at
// different positions share every weight read. A step (1) drops finished and cancelled
// sequences, moving the last row into the freed one so the active rows stay 0 … n-1; (2) prefills
// waiting prompts into the rows just past the active ones, at most `prefillChunk` prompt tokens
// per step, so a long prompt is split over several steps and never stalls the decoding rows for
// long; a prompt whose last chunk is in gives its first token (its `n` choices copy its row);
// (3) feeds every active sequence's last token in ONE forward of batch n and draws each
// sequence's next token from its own row of logits. A lone sequence runs the model's one-row
// decode step instead (one wasm call, as `glasslm generate` does), on a view of row 0 kept for it.
// A greedy sequence gets the tokens it would get alone: rows never mix (tested in
// test/kv-cache-rows.test.ts, test/batch-engine.test.ts and test/server-behaviour.test.ts).

import type { Model } from '../models/model.js';
import type { KVCache } from '../models/kv-cache.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import { type LogitAdjustments, type TokenLogprob, adjustLogits, adjusts, logSoftmaxRow, topLogprobs } from './logits.js';
import { Sampler, type SamplingOptions } from './sampler.js';

export interface BatchRequest extends SamplingOptions, LogitAdjustments {
  /** The caller's id for this request; events carry it. */
  id: number;
  /** Prompt ids (at least one, fewer than the context window). */
  promptIds: readonly number[];
  /** Most new tokens per choice; 0: none (the prompt's logprobs only). */
  maxTokens: number;
  /** Independent completions of the same prompt (each takes a row). Default 1. */
  n?: number;
  /** Finish a choice when it draws one of these ids (reported, with reason 'stop'). */
  stopIds?: readonly number[];
  /** Report each drawn token's log-probability, and this many top alternatives (0 … 20). undefined: none. */
  topLogprobs?: number;
  /** Also report the log-probability of each prompt token after the first (with topLogprobs alternatives): OpenAI's echo. */
  promptLogprobs?: boolean;
}

export type FinishReason = 'stop' | 'length';

/** One token's log-probability under the model, and its top alternatives. */
export interface ScoredToken {
  id: number;
  logprob: number;
  top: TokenLogprob[];
}

export type BatchEvent =
  | { type: 'token'; request: number; choice: number; id: number; logprob?: number; top?: TokenLogprob[] }
  /** Prompt tokens `from`, `from`+1, … as the model scores them given what precedes each (from ≥ 1; in order, before any token). */
  | { type: 'prompt'; request: number; from: number; tokens: ScoredToken[] }
  | { type: 'finish'; request: number; choice: number; reason: FinishReason }
  | { type: 'error'; request: number; message: string };

interface Sequence {
  request: BatchRequest;
  choice: number;
  sampler: Sampler;
  counts: Map<number, number>;
  produced: number;
  /** The last drawn token, fed in the next step. */
  pending: number;
  done: boolean;
}

/** A prompt being prefilled, chunk by chunk, into the row just past the active ones. */
interface Filling {
  request: BatchRequest;
  row: number;
  /** Prompt tokens already in the cache. */
  done: number;
  /** A one-row view of `row`. */
  view: KVCache;
}

export interface BatchOptions {
  /** The window served (at most the model's; a smaller one makes a smaller cache). */
  contextLength?: number;
  /** Most prompt tokens prefilled per step (a longer prompt takes several steps). Default 64. */
  prefillChunk?: number;
}

export class BatchEngine {
  private readonly cache: KVCache;
  readonly contextLength: number;
  readonly prefillChunk: number;
  private readonly active: Sequence[] = []; // active[r] owns cache row r
  private readonly waiting: BatchRequest[] = [];
  private filling: Filling | null = null;
  /** Row 0 as a one-row cache, for the decode step of a lone sequence (made once). */
  private rowZero: KVCache | null = null;
  /** 'id' or 'id:choice' of running sequences to drop. */
  private readonly cancelled = new Set<string>();
  /** 'id:choice' of choices dropped before their request started. */
  private readonly waitingCancelled = new Set<string>();

  /** `options`: a number is the context window (as before prefillChunk existed). */
  constructor(readonly model: Model, readonly slots: number, options: BatchOptions | number = {}) {
    const o = typeof options === 'number' ? { contextLength: options } : options;
    const contextLength = o.contextLength ?? model.contextLength, chunk = o.prefillChunk ?? 64;
    if (!(Number.isInteger(slots) && slots >= 1)) throw new Error(`parallel sequences must be a whole number ≥ 1, got ${slots}`);
    if (!(Number.isInteger(contextLength) && contextLength >= 2 && contextLength <= model.contextLength)) {
      throw new Error(`the context window must be a whole number from 2 to the model's ${model.contextLength}, got ${contextLength}`);
    }
    if (!(Number.isInteger(chunk) && chunk >= 1)) throw new Error(`the prefill chunk must be a whole number ≥ 1, got ${chunk}`);
    this.contextLength = contextLength;
    this.prefillChunk = chunk;
    this.cache = model.createKVCache(slots, contextLength);
  }

  /** Sequences decoding now (a prompt being prefilled counts its choices). */
  get running(): number {
    return this.active.length + (this.filling ? this.filling.request.n ?? 1 : 0);
  }

  /** Requests waiting for rows. */
  get queued(): number {
    return this.waiting.length;
  }

  /** True when a step would do something. */
  get busy(): boolean {
    return this.active.length > 0 || this.waiting.length > 0 || this.filling !== null;
  }

  /** Queues a request; it starts when enough rows are free (checked here so a step cannot fail on it). */
  add(request: BatchRequest): void {
    const n = request.n ?? 1;
    if (!(Number.isInteger(n) && n >= 1 && n <= this.slots)) throw new Error(`n must be a whole number from 1 to ${this.slots} (the parallel sequences), got ${n}`);
    const P = request.promptIds.length;
    if (P === 0) throw new Error('the prompt is empty');
    if (P >= this.contextLength) throw new Error(`the prompt is ${P} tokens; the context window is ${this.contextLength}`);
    if (!(Number.isInteger(request.maxTokens) && request.maxTokens >= 0)) throw new Error(`max tokens must be a whole number ≥ 0, got ${request.maxTokens}`);
    const k = request.topLogprobs;
    if (k !== undefined && !(Number.isInteger(k) && k >= 0 && k <= 20)) throw new Error(`top logprobs must be a whole number from 0 to 20, got ${k}`);
    const V = this.model.config.vocabSize;
    const bad = request.promptIds.find((id) => !(Number.isInteger(id) && id >= 0 && id < V));
    if (bad !== undefined) throw new Error(`token id ${bad} is outside the model's vocabulary of ${V}`);
    new Sampler(request); // checks the sampling options now, not in a step
    this.waiting.push(request);
  }

  /** Drops a request (waiting, prefilling or running), or one choice of it: rows are freed at the next step. */
  cancel(id: number, choice?: number): void {
    const i = this.waiting.findIndex((r) => r.id === id);
    if (i >= 0 && choice === undefined) this.waiting.splice(i, 1);
    else if (i >= 0) this.waitingCancelled.add(`${id}:${choice}`);
    else this.cancelled.add(choice === undefined ? `${id}` : `${id}:${choice}`);
  }

  private isCancelled(s: Sequence): boolean {
    return this.cancelled.has(`${s.request.id}`) || this.cancelled.has(`${s.request.id}:${s.choice}`);
  }

  /** One step: release, prefill (a chunk's worth), then one batched decode. Returns what happened, in order. */
  step(): BatchEvent[] {
    const events: BatchEvent[] = [];
    this.release();
    noGrad(() => {
      this.prefill(events);
      this.release();
      if (this.active.length > 0) this.decode(events);
    });
    this.release();
    return events;
  }

  /** Removes finished and cancelled sequences, keeping the active rows contiguous (a prompt being filled sits past them and stays). */
  private release(): void {
    for (let r = this.active.length - 1; r >= 0; r--) {
      const s = this.active[r];
      if (!s.done && !this.isCancelled(s)) continue;
      const last = this.active.length - 1;
      if (r !== last) {
        this.cache.copyRow(last, r);
        this.active[r] = this.active[last];
      }
      this.active.pop();
      this.cache.lengths[last] = 0;
    }
    if (this.cancelled.size > 0) {
      const live = new Set(this.active.flatMap((s) => [`${s.request.id}`, `${s.request.id}:${s.choice}`]));
      const f = this.filling?.request;
      if (f) for (let c = -1; c < (f.n ?? 1); c++) live.add(c < 0 ? `${f.id}` : `${f.id}:${c}`);
      for (const key of this.cancelled) if (!live.has(key)) this.cancelled.delete(key);
    }
  }

  /** Prefills up to prefillChunk prompt tokens: the prompt in progress, then waiting ones while rows are free. */
  private prefill(events: BatchEvent[]): void {
    let budget = this.prefillChunk;
    while (budget > 0) {
      if (this.filling && this.cancelled.has(`${this.filling.request.id}`)) this.dropFilling();
      if (!this.filling) {
        const next = this.waiting[0];
        if (!next || this.slots - this.active.length < (next.n ?? 1)) return;
        this.waiting.shift();
        const row = this.active.length;
        this.filling = { request: next, row, done: 0, view: this.cache.rows(row, 1) };
      }
      const f = this.filling;
      const P = f.request.promptIds.length;
      const take = Math.min(budget, P - f.done);
      budget -= take;
      try {
        tidy(() => {
          const chunk = Int32Array.from(f.request.promptIds.slice(f.done, f.done + take));
          const scored = f.request.promptLogprobs === true;
          const logits = this.model.forward(op.tensor(chunk, [1, take]), { kvCache: f.view, lastPositionOnly: !scored }).logits.data() as Float32Array; // (1, take or 1, V)
          const V = this.model.config.vocabSize;
          if (scored) this.scorePrompt(f, logits, take, events);
          f.done += take;
          if (f.done === P) this.start(f, logits.subarray(logits.length - V), events);
        });
      } catch (err) {
        events.push({ type: 'error', request: f.request.id, message: err instanceof Error ? err.message : String(err) });
        this.dropFilling();
      }
    }
  }

  /** The prompt's own tokens as the model scores them: position t's logits score token t+1 (OpenAI's echo with logprobs). */
  private scorePrompt(f: Filling, logits: Float32Array, take: number, events: BatchEvent[]): void {
    const V = this.model.config.vocabSize, ids = f.request.promptIds, k = f.request.topLogprobs ?? 0;
    const tokens: ScoredToken[] = [];
    for (let t = 0; t < take && f.done + t + 1 < ids.length; t++) {
      const lp = logSoftmaxRow(logits.subarray(t * V, (t + 1) * V));
      const id = ids[f.done + t + 1];
      tokens.push({ id, logprob: lp[id], top: topLogprobs(lp, k) });
    }
    if (tokens.length > 0) events.push({ type: 'prompt', request: f.request.id, from: f.done + 1, tokens });
  }

  /** The prompt is in: its row moves to the end of the active rows, each further choice copies it, each draws its first token. */
  private start(f: Filling, last: Float32Array, events: BatchEvent[]): void {
    const { request } = f;
    const n = request.n ?? 1, P = request.promptIds.length;
    this.filling = null;
    f.view.dispose();
    if (request.maxTokens === 0) { // scoring only: nothing to generate
      this.cache.lengths[f.row] = 0;
      for (let c = 0; c < n; c++) events.push({ type: 'finish', request: request.id, choice: c, reason: 'length' });
      return;
    }
    const row = this.active.length;
    if (f.row !== row) {
      this.cache.copyRow(f.row, row);
      this.cache.lengths[f.row] = 0;
    }
    for (let c = 0; c < n; c++) {
      if (c > 0) this.cache.copyRow(row, row + c);
      const seed = request.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : request.seed + c;
      const s: Sequence = { request, choice: c, sampler: new Sampler({ ...request, seed }), counts: new Map(), produced: 0, pending: -1, done: false };
      if (this.waitingCancelled.delete(`${request.id}:${c}`)) this.cancelled.add(`${request.id}:${c}`);
      this.active.push(s);
      this.draw(s, last, P, events);
    }
  }

  private dropFilling(): void {
    const f = this.filling;
    if (!f) return;
    this.filling = null;
    this.cache.lengths[f.row] = 0;
    f.view.dispose();
  }

  /** Feeds every active sequence's pending token: the decode step for a lone one, else one forward of batch n. */
  private decode(events: BatchEvent[]): void {
    const n = this.active.length;
    if (n === 1) {
      this.rowZero ??= this.slots === 1 ? this.cache : this.cache.rows(0, 1);
      const step = this.model.plainStep(this.rowZero);
      if (step) {
        const s = this.active[0], position = this.cache.lengths[0];
        step.run(s.pending);
        this.draw(s, step.logits, position + 1, events, step.logProbs);
        return;
      }
    }
    const V = this.model.config.vocabSize;
    const ids = Int32Array.from(this.active, (s) => s.pending);
    const positions = this.cache.lengths.slice(0, n); // where each pending token sits
    const view = n === this.slots ? this.cache : this.cache.rows(0, n);
    try {
      tidy(() => {
        const logits = this.model.forward(op.tensor(ids, [n, 1]), { kvCache: view }).logits.data() as Float32Array; // (n, 1, V)
        for (let r = 0; r < n; r++) this.draw(this.active[r], logits.subarray(r * V, (r + 1) * V), positions[r] + 1, events);
      });
    } finally {
      if (view !== this.cache) view.dispose();
    }
  }

  /**
   * Draws one token for s from its logits row; `position` is where the drawn token will sit.
   * rawLogProbs: log_softmax of `row` when already computed (the decode step's), used where no adjustment applies.
   */
  private draw(s: Sequence, row: Float32Array, position: number, events: BatchEvent[], rawLogProbs?: Float32Array): void {
    const req = s.request;
    let logits = row, given = rawLogProbs;
    if (adjusts(req)) {
      logits = Float32Array.from(row);
      adjustLogits(logits, req, s.counts);
      given = undefined;
    }
    const logprobs = req.topLogprobs === undefined ? given : given ?? logSoftmaxRow(logits);
    const { id } = s.sampler.sample(logits, logprobs, false);
    if (!Number.isFinite(row[id])) { // NaN or infinite logits: the model overflowed; never emit a token from them
      s.done = true;
      this.cancelled.add(`${req.id}`);
      events.push({ type: 'error', request: req.id, message: `the model produced a non-finite logit (${row[id]}) at position ${position - 1}: its weights or config overflow` });
      return;
    }
    s.counts.set(id, (s.counts.get(id) ?? 0) + 1);
    s.produced++;
    s.pending = id;
    events.push(req.topLogprobs !== undefined && logprobs
      ? { type: 'token', request: req.id, choice: s.choice, id, logprob: logprobs[id], top: topLogprobs(logprobs, req.topLogprobs) }
      : { type: 'token', request: req.id, choice: s.choice, id });
    let reason: FinishReason | undefined;
    if (req.stopIds?.includes(id)) reason = 'stop';
    else if (s.produced >= req.maxTokens || position + 1 >= this.contextLength) reason = 'length';
    if (reason) {
      s.done = true;
      events.push({ type: 'finish', request: req.id, choice: s.choice, reason });
    }
  }

  dispose(): void {
    this.filling?.view.dispose();
    if (this.rowZero && this.rowZero !== this.cache) this.rowZero.dispose();
    this.cache.dispose();
  }
}
