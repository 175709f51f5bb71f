// A kernel worker under Node's worker_threads: the loop of ./worker.ts, started from workerData.

import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from './protocol.js';
import { serve } from './worker.js';

serve(workerData as WorkerInit, () => parentPort!.postMessage('ready'));
parentPort!.close();
