// The page of the decode test and benchmark: starts decode-worker.js with the request given in the
// URL (?request=<JSON>) and leaves the outcome in window.glasslmDecode, with the time from opening
// the page (navigation start) to the first generated token.

import type { DecodeMessage, DecodeRequest } from './decode-worker.js';

interface Outcome {
  done: boolean;
  error?: string;
  /** performance.now() when the first token arrived: ms since the page was opened. */
  firstTokenPageMs?: number;
  result?: Extract<DecodeMessage, { kind: 'done' }>;
}

const outcome: Outcome = { done: false };
(globalThis as unknown as { glasslmDecode: Outcome }).glasslmDecode = outcome;
// `node --test dist/test/` runs every file under it: in Node this module does nothing
const inPage = typeof document !== 'undefined';
const request = inPage ? JSON.parse(new URLSearchParams(location.search).get('request') ?? 'null') as DecodeRequest | null : null;
if (!inPage) {
  // not in a page
} else if (!request) {
  outcome.error = 'no ?request= in the URL';
  outcome.done = true;
} else {
  const worker = new Worker(new URL('./decode-worker.js', import.meta.url), { type: 'module' });
  worker.onerror = (e) => {
    outcome.error = `worker failed: ${e.message}`;
    outcome.done = true;
  };
  worker.onmessage = (e: MessageEvent<DecodeMessage>) => {
    const m = e.data;
    if (m.kind === 'first-token') outcome.firstTokenPageMs ??= performance.now();
    else if (m.kind === 'error') {
      outcome.error = m.message;
      outcome.done = true;
    } else {
      outcome.result = m;
      outcome.done = true;
    }
  };
  worker.postMessage(request);
}
