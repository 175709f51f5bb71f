// Continuous batching: many requests decode together, one batched forward per step.
//
// Each sequence owns one row of a shared KV cache and keeps its own length, so sequences at
// different positions share every weight read. A step (1) drops finished and cancelled
// sequences, moving the last row into the freed one so the active rows stay 0 … n-1; (2) admits
// waiting requests while rows are free: each prompt is prefilled alone into its row (its `n`
// choices copy that row) and gives its first token; (3) feeds every active sequence's last token
// in ONE forward of batch n and draws each sequence's next token from its own row of logits.
// A greedy sequence gets the tokens it would get alone: rows never mix (tested in
// test/kv-cache-rows.test.ts and test/server-batching.test.ts).

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
  /** Most new tokens per choice. */
  maxTokens: number;
  /** Independent completions of the same prompt (each takes a row). Default 1. */
  n?: number;
  /** Finish a choice when it draws one of these ids (reported, with reason 'stop'). */
  stopIds?: readonly number[];
  /** Report each drawn token's log-probability, and this many top alternatives (0 … 20). undefined: none. */
  topLogprobs?: number;
}

export type FinishReason = 'stop' | 'length';

export type BatchEvent =
  | { type: 'token'; request: number; choice: number; id: number; logprob?: number; top?: TokenLogprob[] }
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

export class BatchEngine {
  private readonly cache: KVCache;
  private readonly active: Sequence[] = []; // active[r] owns cache row r
  private readonly waiting: BatchRequest[] = [];
  /** 'id' or 'id:choice' of running sequences to drop. */
  private readonly cancelled = new Set<string>();
  /** 'id:choice' of choices dropped before their request started. */
  private readonly waitingCancelled = new Set<string>();

  /** `contextLength`: the window served (at most the model's; a smaller one makes a smaller cache). */
  constructor(readonly model: Model, readonly slots: number, readonly contextLength = model.contextLength) {
    if (!(Number.isInteger(slots) && slots >= 1)) throw new Error(`parallel sequences must be a whole number ≥ 1, got ${slots}`);
    if (!(Number.isInteger(contextLength) && contextLength >= 2 && contextLength <= model.contextLength)) {
      throw new Error(`the context window must be a whole number from 2 to the model's ${model.contextLength}, got ${contextLength}`);
    }
    this.cache = model.createKVCache(slots, contextLength);
  }

  /** Sequences decoding now. */
  get running(): number {
    return this.active.length;
  }

  /** Requests waiting for rows. */
  get queued(): number {
    return this.waiting.length;
  }

  /** True when a step would do something. */
  get busy(): boolean {
    return this.active.length > 0 || this.waiting.length > 0;
  }

  /** Queues a request; it starts when enough rows are free (checked here so a step cannot fail on it). */
  add(request: BatchRequest): void {
    const n = request.n ?? 1;
    if (!(Number.isInteger(n) && n >= 1 && n <= this.slots)) throw new Error(`n must be a whole number from 1 to ${this.slots} (the parallel sequences), got ${n}`);
    const P = request.promptIds.length;
    if (P === 0) throw new Error('the prompt is empty');
    if (P >= this.contextLength) throw new Error(`the prompt is ${P} tokens; the context window is ${this.contextLength}`);
    if (!(Number.isInteger(request.maxTokens) && request.maxTokens >= 1)) throw new Error(`max tokens must be a whole number ≥ 1, got ${request.maxTokens}`);
    const V = this.model.config.vocabSize;
    const bad = request.promptIds.find((id) => !(Number.isInteger(id) && id >= 0 && id < V));
    if (bad !== undefined) throw new Error(`token id ${bad} is outside the model's vocabulary of ${V}`);
    this.waiting.push(request);
  }

  /** Drops a request (waiting or running), or one choice of it: rows are freed at the next step. */
  cancel(id: number, choice?: number): void {
    const i = this.waiting.findIndex((r) => r.id === id);
    if (i >= 0 && choice === undefined) this.waiting.splice(i, 1);
    else if (i >= 0) this.waitingCancelled.add(`${id}:${choice}`);
    else this.cancelled.add(choice === undefined ? `${id}` : `${id}:${choice}`);
  }

  private isCancelled(s: Sequence): boolean {
    return this.cancelled.has(`${s.request.id}`) || this.cancelled.has(`${s.request.id}:${s.choice}`);
  }

  /** One step: admit, then one batched decode. Returns what happened, in order. */
  step(): BatchEvent[] {
    const events: BatchEvent[] = [];
    this.release();
    noGrad(() => {
      while (this.waiting.length > 0 && this.slots - this.active.length >= (this.waiting[0].n ?? 1)) this.admit(this.waiting.shift()!, events);
      this.release();
      if (this.active.length > 0) this.decode(events);
    });
    this.release();
    return events;
  }

  /** Removes finished and cancelled sequences, keeping the active rows contiguous. */
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
      for (const key of this.cancelled) if (!live.has(key)) this.cancelled.delete(key);
    }
  }

  /** Prefills a request into the next free row, copies it for each further choice, draws each first token. */
  private admit(request: BatchRequest, events: BatchEvent[]): void {
    const n = request.n ?? 1;
    const row = this.active.length;
    const P = request.promptIds.length;
    const view = this.cache.rows(row, 1);
    try {
      tidy(() => {
        const logits = this.model.forward(op.tensor(Int32Array.from(request.promptIds), [1, P]), { kvCache: view, lastPositionOnly: true }).logits.data(); // (1, 1, V)
        for (let c = 0; c < n; c++) {
          if (c > 0) this.cache.copyRow(row, row + c);
          const seed = request.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : request.seed + c;
          const s: Sequence = { request, choice: c, sampler: new Sampler({ ...request, seed }), counts: new Map(), produced: 0, pending: -1, done: false };
          if (this.waitingCancelled.delete(`${request.id}:${c}`)) this.cancelled.add(`${request.id}:${c}`);
          this.active.push(s);
          this.draw(s, logits as Float32Array, P, events);
        }
      });
    } catch (err) {
      this.cache.lengths[row] = 0;
      events.push({ type: 'error', request: request.id, message: err instanceof Error ? err.message : String(err) });
    } finally {
      view.dispose();
    }
  }

  /** Feeds every active sequence's pending token in one forward of batch n. */
  private decode(events: BatchEvent[]): void {
    const n = this.active.length;
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

  /** Draws one token for s from its logits row; `position` is where the drawn token will sit. */
  private draw(s: Sequence, row: Float32Array, position: number, events: BatchEvent[]): void {
    const req = s.request;
    let logits = row;
    if (adjusts(req)) {
      logits = Float32Array.from(row);
      adjustLogits(logits, req, s.counts);
    }
    const logprobs = req.topLogprobs === undefined ? undefined : logSoftmaxRow(logits);
    const { id } = s.sampler.sample(logits, logprobs);
    s.counts.set(id, (s.counts.get(id) ?? 0) + 1);
    s.produced++;
    s.pending = id;
    events.push(logprobs
      ? { type: 'token', request: req.id, choice: s.choice, id, logprob: logprobs[id], top: topLogprobs(logprobs, req.topLogprobs!) }
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
    this.cache.dispose();
  }
}
