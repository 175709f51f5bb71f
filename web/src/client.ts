// The page's side of the worker: typed requests that resolve with the worker's answer, progress
// callbacks, and a stop signal for long jobs (generation, training).

import type { FromWorker, Requests, RequestType, ToWorker } from './protocol';

export class ModelClient {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; progress?: (d: unknown) => void }>();
  /** Called when the worker itself fails (a script error), with a message for the page. */
  onCrash: (message: string) => void = () => {};

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'progress') p.progress?.(m.data);
      else {
        this.pending.delete(m.id);
        if (m.kind === 'result') p.resolve(m.result);
        else p.reject(new Error(m.message));
      }
    };
    this.worker.onerror = (e) => {
      const message = `the model worker failed: ${e.message || 'a script error'}`;
      for (const p of this.pending.values()) p.reject(new Error(message));
      this.pending.clear();
      this.onCrash(message);
    };
  }

  request<K extends RequestType>(type: K, params: Requests[K]['params'], progress?: (d: unknown) => void): Promise<Requests[K]['result']> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      const msg: ToWorker = { kind: 'request', id, type, params };
      this.worker.postMessage(msg);
    });
  }

  stop(): void {
    this.worker.postMessage({ kind: 'stop' } satisfies ToWorker);
  }
}
