// The HTTP thread's handle on one model worker: starts it, sends requests and calls, routes the
// worker's events back to each request's listener, and drains it on shutdown.

import { Worker } from 'node:worker_threads';
import type { BatchEvent, BatchRequest } from '../generate/batch.js';
import type { FromWorker, ModelInfo, ToWorker, WorkerConfig } from './protocol.js';

type Listener = (e: BatchEvent) => void;

export class ModelHost {
  private readonly worker: Worker;
  private nextId = 1;
  /** Per request: its listener and the choices still open (a cancelled or finished choice is closed). */
  private readonly listeners = new Map<number, { listener: Listener; open: Set<number> }>();
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private drained: (() => void) | undefined;
  /** Set once the model is loaded. */
  info: ModelInfo | undefined;
  /** Set when the worker could not load the model or died. */
  failure: string | undefined;
  /** Resolves when loaded; rejects when loading failed. */
  readonly ready: Promise<ModelInfo>;
  /** Sequences running in the worker and waiting there, as it last reported. */
  running = 0;
  queued = 0;
  /** Sequences sent and not yet finished (running + waiting + in transit). */
  outstanding = 0;

  constructor(readonly id: string, config: WorkerConfig) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: config });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          this.info = m.info;
          resolve(m.info);
        } else if (m.type === 'failed') {
          this.failure = m.message;
          reject(new Error(m.message));
        } else this.onMessage(m);
      });
      this.worker.on('error', (err) => this.die(`the model worker failed: ${err.message}`, reject));
      this.worker.on('exit', (code) => this.die(`the model worker exited (code ${code})`, reject));
    });
    this.ready.catch(() => {}); // reported through `failure` and /health
  }

  private die(message: string, reject: (e: Error) => void): void {
    if (this.failure === undefined) this.failure = message;
    reject(new Error(message));
    for (const [id, l] of this.listeners) l.listener({ type: 'error', request: id, message });
    this.listeners.clear();
    for (const c of this.calls.values()) c.reject(new Error(message));
    this.calls.clear();
    this.drained?.();
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'events':
        this.running = m.running;
        this.queued = m.queued;
        for (const e of m.events) {
          const l = this.listeners.get(e.request);
          if (!l) continue;
          if (e.type === 'error') this.end(e.request);
          else if (e.type === 'finish') this.close1(e.request, e.choice);
          l.listener(e);
        }
        break;
      case 'rejected': {
        const l = this.listeners.get(m.id);
        if (l) {
          this.end(m.id);
          l.listener({ type: 'error', request: m.id, message: m.message });
        }
        break;
      }
      case 'result': {
        const c = this.calls.get(m.id);
        this.calls.delete(m.id);
        if (m.ok) c?.resolve(m.value);
        else c?.reject(new Error(m.message));
        break;
      }
      case 'drained':
        this.drained?.();
        break;
    }
  }

  /** Closes every open choice of a request. */
  private end(id: number): void {
    const l = this.listeners.get(id);
    if (!l) return;
    this.listeners.delete(id);
    this.outstanding -= l.open.size;
  }

  /** Closes one choice (finished or cancelled); the request goes once none is open. */
  private close1(id: number, choice: number): void {
    const l = this.listeners.get(id);
    if (!l || !l.open.delete(choice)) return;
    this.outstanding--;
    if (l.open.size === 0) this.listeners.delete(id);
  }

  /** Starts a generation; events arrive at `listener` until every choice has finished (or an error). */
  generate(request: Omit<BatchRequest, 'id'>, listener: Listener): { id: number; cancel(choice?: number): void } {
    const id = this.nextId++;
    const n = request.n ?? 1;
    this.listeners.set(id, { listener, open: new Set(Array.from({ length: n }, (_, c) => c)) });
    this.outstanding += n;
    this.post({ type: 'generate', request: { ...request, id } });
    return {
      id,
      /** Stops the whole request, or one choice of it (a choice that already finished is ignored by the caller). */
      cancel: (choice?: number) => {
        const l = this.listeners.get(id);
        if (!l || (choice !== undefined && !l.open.has(choice))) return;
        if (choice === undefined) this.end(id);
        else this.close1(id, choice);
        this.post({ type: 'cancel', id, choice });
      },
    };
  }

  /** Runs a view or embedding in the worker (between decode steps). */
  call(method: string, args: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.post({ type: 'call', id, method, args });
    });
  }

  /** Resolves once the worker has no work left, then stops it. */
  async close(): Promise<void> {
    if (this.failure === undefined) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        this.post({ type: 'drain' });
      });
    }
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
