// One completion request in flight: its prompts × n choices submitted to the model worker, each
// choice's ids turned into text (stop strings held back and cut), logprobs, usage, deadlines,
// cancellation, and the latency metrics. The routes format what this reports as OpenAI JSON.

import type { FinishReason } from '../generate/batch.js';
import type { TokenLogprob } from '../generate/logits.js';
import { TextStream } from '../generate/text-stream.js';
import { ApiError } from './errors.js';
import type { Metrics } from './metrics.js';
import type { ServedModel } from './served-model.js';

export interface GenerationParams {
  prompts: number[][];
  /** Per prompt. */
  maxTokens: number[];
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  seed?: number;
  presencePenalty: number;
  frequencyPenalty: number;
  logitBias: Map<number, number>;
  stop: string[];
  /** Ids that end a choice without showing (end-of-text, end of turn). */
  stopIds: number[];
  /** Report logprobs with this many alternatives; undefined: no logprobs. */
  topLogprobs?: number;
  /** Also score the prompts' own tokens (echo with logprobs). */
  promptLogprobs?: boolean;
}

export interface TokenReport {
  id: number;
  logprob: number;
  top: TokenLogprob[];
}

export interface GenerationListener {
  /** Prompt `prompt`'s tokens from its second on, scored by the model (only with promptLogprobs; before that prompt's first delta). */
  prompt?(prompt: number, tokens: TokenReport[]): void;
  /** New text of choice `index` (may be '' when only logprobs arrive), and the tokens behind it. */
  delta(index: number, text: string, tokens: TokenReport[]): void;
  finish(index: number, reason: FinishReason): void;
  /** Everything finished (usage is final), or failed. */
  done(error?: ApiError): void;
}

export class Generation {
  readonly promptTokens: number;
  completionTokens = 0;
  private readonly handles: { cancel(choice?: number): void }[] = [];
  private readonly streams: TextStream[] = [];
  private readonly finished: boolean[] = [];
  private readonly lastTokenAt: number[] = [];
  private left: number;
  private over = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly served: ServedModel, private readonly p: GenerationParams, private readonly metrics: Metrics,
    private readonly listener: GenerationListener, deadlineMs: number) {
    const started = performance.now();
    this.promptTokens = p.prompts.reduce((s, ids) => s + ids.length, 0);
    this.left = p.prompts.length * p.n;
    metrics.promptTokens.inc(this.promptTokens);
    const hidden = new Set(p.stopIds);
    p.prompts.forEach((ids, pi) => {
      for (let c = 0; c < p.n; c++) {
        this.streams.push(new TextStream(served.tokenizer, p.stop, ids.at(-1), hidden));
        this.finished.push(false);
        this.lastTokenAt.push(started);
      }
      const handle = served.host.generate({
        promptIds: ids, maxTokens: p.maxTokens[pi], n: p.n, temperature: p.temperature, topP: p.topP, topK: p.topK, seed: p.seed,
        presencePenalty: p.presencePenalty, frequencyPenalty: p.frequencyPenalty, logitBias: p.logitBias, stopIds: p.stopIds,
        topLogprobs: p.topLogprobs, promptLogprobs: p.promptLogprobs,
      }, (e) => {
        if (this.over) return;
        if (e.type === 'error') return this.fail(new ApiError(400, e.message, 'invalid_request_error', null, null));
        if (e.type === 'prompt') return listener.prompt?.(pi, e.tokens);
        const index = pi * p.n + e.choice;
        if (this.finished[index]) return;
        if (e.type === 'token') {
          const now = performance.now();
          if (this.completionTokens === 0) metrics.ttft.observe((now - started) / 1000);
          else if (this.lastTokenAt[index] !== started) metrics.tpot.observe((now - this.lastTokenAt[index]) / 1000);
          this.lastTokenAt[index] = now;
          this.completionTokens++;
          metrics.generatedTokens.inc();
          const stream = this.streams[index];
          const text = stream.push(e.id);
          // a hidden end-of-turn token adds no text and no logprobs entry
          const tokens = e.logprob === undefined || hidden.has(e.id) ? [] : [{ id: e.id, logprob: e.logprob, top: e.top ?? [] }];
          if (text || tokens.length) listener.delta(index, text, tokens);
          if (stream.stopped) {
            handle.cancel(e.choice);
            this.end(index, 'stop');
          }
        } else this.end(index, e.reason);
      });
      this.handles.push(handle);
    });
    this.timer = setTimeout(() => {
      metrics.cancelled.inc({ reason: 'deadline' });
      this.fail(new ApiError(504, `the request did not finish within its deadline of ${deadlineMs / 1000} s`, 'timeout_error', null, 'timeout'));
    }, deadlineMs);
  }

  private end(index: number, reason: FinishReason): void {
    this.finished[index] = true;
    const rest = this.streams[index].finish();
    if (rest) this.listener.delta(index, rest, []);
    this.listener.finish(index, reason);
    if (--this.left === 0) {
      this.over = true;
      clearTimeout(this.timer);
      this.listener.done();
    }
  }

  private fail(err: ApiError): void {
    if (this.over) return;
    this.stop();
    this.listener.done(err);
  }

  /** Stops everything still running (the client went away, or the deadline passed). */
  stop(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.timer);
    for (const h of this.handles) h.cancel();
  }

  get running(): boolean {
    return !this.over;
  }
}
