// Messages between the HTTP thread and the model worker (node:worker_threads). The worker owns
// the model and its batching engine; the HTTP thread owns tokenizing, templates and the sockets.

import type { BatchEvent, BatchRequest } from '../generate/batch.js';

/** What the worker is started with (workerData). */
export interface WorkerConfig {
  /** A model folder or file given on the command line (never from a request); undefined: the built-in model. */
  modelPath?: string;
  tokenizerPath?: string;
  dtype?: string;
  backend?: string;
  threads?: number;
  /** Sequences decoded together (--parallel). */
  parallel: number;
  /** Context window to serve (--ctx; at most the model's). */
  ctx?: number;
}

/** The model's facts the HTTP side needs, sent once it is loaded. */
export interface ModelInfo {
  contextLength: number;
  vocabSize: number;
  layers: number;
  heads: number;
  dim: number;
  arch: string;
  parameters: number;
  backend: string;
}

export type ToWorker =
  | { type: 'generate'; request: BatchRequest }
  | { type: 'cancel'; id: number; choice?: number }
  | { type: 'call'; id: number; method: string; args: Record<string, unknown> }
  | { type: 'drain' };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'failed'; message: string }
  | { type: 'events'; events: BatchEvent[]; running: number; queued: number }
  | { type: 'rejected'; id: number; message: string }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; message: string }
  | { type: 'drained' };
