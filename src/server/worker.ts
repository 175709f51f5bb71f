// The model worker: loads the model, then runs the batching engine one step at a time, yielding
// to its event loop between steps so new requests, cancellations and calls (embeddings,
// inspection views) arrive within one decode step. No HTTP here.

import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend/select.js';
import { loadModelAndTokenizer } from '../cli/model-args.js';
import { type BatchEvent, BatchEngine } from '../generate/batch.js';
import { setBackend } from '../tensor/engine.js';
import { callView } from './views.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';

const port = parentPort!;
/**
 * Events of steps shorter than this travel together in one message: a small model takes ~0.5 ms
 * a token, and a message per token costs the HTTP thread as much as the token. A step's events
 * wait at most this long.
 */
const FLUSH_MS = 2;
const config = workerData as WorkerConfig;
const send = (m: FromWorker) => port.postMessage(m);

async function start(): Promise<void> {
  const selected = await selectBackend(config.backend, config.threads);
  setBackend(selected.backend);
  const { model, tokenizer } = loadModelAndTokenizer({ model: config.modelPath, tokenizer: config.tokenizerPath, dtype: config.dtype }, { decode: true });
  const ctx = Math.min(config.ctx ?? model.contextLength, model.contextLength);
  const engine = new BatchEngine(model, config.parallel, { contextLength: ctx });
  let stepping = false;
  let draining = false;
  let pending: BatchEvent[] = [];
  let lastSent = 0;
  let told = { running: 0, queued: 0 }; // the counts the HTTP thread last heard

  const flush = () => {
    const { running, queued } = engine;
    if (pending.length || running !== told.running || queued !== told.queued) send({ type: 'events', events: pending, running, queued });
    told = { running, queued };
    pending = [];
    lastSent = performance.now();
  };
  const loop = () => {
    if (!engine.busy) {
      flush();
      stepping = false;
      if (draining) send({ type: 'drained' });
      return;
    }
    for (const e of engine.step()) pending.push(e);
    if (!engine.busy || performance.now() - lastSent >= FLUSH_MS) flush();
    setImmediate(loop); // lets messages (cancel, new requests) in before the next step
  };
  const kick = () => {
    if (!stepping) {
      stepping = true;
      setImmediate(loop);
    }
  };

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'generate':
        try {
          engine.add(m.request);
          kick();
        } catch (err) {
          send({ type: 'rejected', id: m.request.id, message: (err as Error).message });
        }
        break;
      case 'cancel':
        engine.cancel(m.id, m.choice);
        break;
      case 'call':
        try {
          send({ type: 'result', id: m.id, ok: true, value: callView(model, tokenizer, m.method, m.args) });
        } catch (err) {
          send({ type: 'result', id: m.id, ok: false, message: (err as Error).message });
        }
        break;
      case 'drain':
        draining = true;
        if (!stepping) send({ type: 'drained' });
        break;
    }
  });
  const c = model.config;
  send({
    type: 'ready',
    info: { contextLength: ctx, vocabSize: c.vocabSize, layers: c.layers, heads: c.heads, dim: c.dim, arch: c.arch, parameters: model.numParameters, backend: selected.note },
  });
}

start().catch((err) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
