// Hostile requests against a real `glasslm serve` process (issue 22's discipline for the server):
// malformed, truncated and deeply nested JSON, huge strings and id arrays, out-of-range ids and
// numbers for every numeric option, bad logit_bias, huge n and stop lists, wrong content types,
// invalid UTF-8, a body that never finishes (slowloris), hundreds of concurrent connections.
// Every one must be answered quickly with a 4xx in OpenAI's error shape (or, where the request is
// in fact valid, a 200); afterwards the process is still up, serves a normal request, and its
// resident memory stayed bounded. A second server checks --ctx and the per-request deadline.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { BUILTIN_MODEL_DIR } from '../src/cli/model-args.js';
import { loadTokenizer } from '../src/node.js';
import { type RunningServer, metricValue, startServer } from './server-helpers.js';

const eos = loadTokenizer(BUILTIN_MODEL_DIR).eos!;
const PARALLEL = 2, QUEUE = 4;
let server: RunningServer;
let rssAtStart = 0;

/** Resident memory of the server process (Linux /proc), bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

before(async () => {
  server = await startServer(['--parallel', String(PARALLEL), '--max-queue', String(QUEUE), '--read-timeout', '1']);
  await post('/v1/completions', { prompt: 'Once', max_tokens: 4 }); // warm
  rssAtStart = rss(server.proc.pid!);
});
after(async () => {
  if (server.proc.exitCode !== null) console.log(`the server exited (${server.proc.exitCode}):\n${server.output().slice(-4000)}`);
  await server.stop();
});

interface Reply { status: number; json: any; ms: number; text: string } // eslint-disable-line @typescript-eslint/no-explicit-any

/** Sends raw bytes (any content type) and reads the whole reply. */
function send(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, url = server.url): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch { /* checked by the caller */ }
        resolve({ status: res.statusCode!, json, text, ms: performance.now() - t0 });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const post = (path: string, body: unknown, url?: string) => send(path, JSON.stringify(body), undefined, url);

const SLOW_MS = 10_000; // "quickly", on a loaded 2-core machine

/** A clean refusal: the given 4xx (or any 4xx), OpenAI's error shape, in time. */
function refused(r: Reply, label: string, status?: number): void {
  assert.ok(r.status >= 400 && r.status < 500, `${label}: status ${r.status} ${r.text.slice(0, 200)}`);
  if (status !== undefined) assert.equal(r.status, status, `${label}: ${r.text.slice(0, 200)}`);
  const e = r.json?.error;
  assert.ok(e && typeof e.message === 'string' && e.message.length > 0 && e.message.length < 2000 && typeof e.type === 'string' && 'param' in e && 'code' in e,
    `${label}: not OpenAI's error shape: ${r.text.slice(0, 200)}`);
  assert.ok(r.ms < SLOW_MS, `${label}: took ${r.ms.toFixed(0)} ms`);
}

/** A valid request may also succeed; anything else must be a clean refusal. */
function answered(r: Reply, label: string): void {
  if (r.status === 200) assert.ok(r.ms < SLOW_MS, `${label}: took ${r.ms.toFixed(0)} ms`);
  else refused(r, label);
}

async function stillServing(): Promise<void> {
  const r = await post('/v1/completions', { prompt: 'Once upon a time', max_tokens: 3, temperature: 0 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.choices[0].finish_reason !== undefined, true);
  assert.equal(server.proc.exitCode, null, 'the server is up');
}

const ok = { prompt: 'Once upon a time', max_tokens: 2 };

test('malformed, truncated and odd JSON: 400 invalid_json or a schema 400', async () => {
  for (const body of ['{"prompt": "x",', '{', '}', 'nul', '[]', '"text"', '123', 'null', '{"prompt": "x"} trailing', '{"prompt": "\\ud800"}', '{"prompt": "x", "prompt": 5}',
    '{"__proto__": {"admin": true}, "prompt": "x"}', '{"constructor": {"prototype": {"x": 1}}, "prompt": "x"}', '\u0000\u0001\u0002', '{"prompt": "x", "max_tokens": NaN}',
    '{"prompt": "x", "max_tokens": Infinity}', '{"prompt": "x", "max_tokens": 1e999}', '{"prompt": "x", "temperature": -0}']) {
    const r = await send('/v1/completions', body);
    answered(r, `body ${JSON.stringify(body)}`);
  }
  refused(await send('/v1/completions', '{"prompt": "x",'), 'truncated', 400);
  refused(await send('/v1/completions', ''), 'empty', 400);
  refused(await send('/v1/completions', '{"prompt": "x", "max_tokens": NaN}'), 'NaN', 400);
  refused(await send('/v1/completions', '{"prompt": "x", "max_tokens": 1e999}'), 'infinity', 400);
  await stillServing();
});

test('deeply nested JSON (up to the body limit) is refused quickly', async () => {
  const depth = 400_000;
  refused(await send('/v1/completions', `{"prompt": ${'['.repeat(depth)}1${']'.repeat(depth)}}`), 'nested prompt', 400);
  refused(await send('/v1/completions', `{"prompt": "x", "logit_bias": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`), 'nested logit_bias', 400);
  refused(await send('/v1/chat/completions', `{"messages": ${'['.repeat(depth)}${']'.repeat(depth)}}`), 'nested messages', 400);
  refused(await send('/v1/embeddings', `{"input": ${'['.repeat(depth)}${']'.repeat(depth)}}`), 'nested input', 400);
  await stillServing();
});

test('huge strings and huge arrays of token ids: 400 (context) or 413 (body limit), quickly', async () => {
  refused(await post('/v1/completions', { prompt: 'a b '.repeat(250_000) }), 'a 1 MB prompt'); // 413 or 400: just under or over the body limit
  refused(await post('/v1/completions', { prompt: 'the dog '.repeat(100_000) }), 'an 800 kB prompt', 400);
  refused(await post('/v1/completions', { prompt: Array(200_000).fill(1) }), '200,000 ids', 400);
  refused(await post('/v1/completions', { prompt: Array(3000).fill('the dog ') }), '3,000 prompts', 400);
  refused(await post('/v1/embeddings', { input: Array(200_000).fill(1) }), 'embeddings of 200,000 ids', 400);
  refused(await post('/v1/embeddings', { input: Array(100_000).fill([1]) }), '100,000 embedding inputs', 400);
  refused(await post('/v1/completions', { ...ok, model: 'm'.repeat(500_000) }), 'a 500 kB model name', 404);
  refused(await post('/v1/chat/completions', { messages: Array(20_000).fill({ role: 'user', content: 'hi' }) }), '20,000 messages', 400);
  answered(await post('/v1/completions', { ...ok, user: 'u'.repeat(500_000) }), 'a 500 kB user field');
  answered(await post('/v1/completions', { ...ok, stop: ['s'.repeat(400_000)] }), 'a 400 kB stop string');
  answered(await post('/detokenize', { tokens: Array(100_000).fill(1) }), '/detokenize of 100,000 ids');
  refused(await post('/tokenize', { prompt: 'x'.repeat(2_000_000) }), '/tokenize of 2 MB', 413);
  for (const view of ['lens', 'attention', 'attribution', 'neurons', 'tokens']) refused(await post(`/v1/inspect/${view}`, { prompt: 'the dog '.repeat(100_000) }), `inspect ${view}: a long prompt`, 400);
  await stillServing();
});

test('token ids out of range, and every numeric option at negative, fractional, huge and wrongly typed values', async () => {
  for (const prompt of [[512 * 1024], [2 ** 31], [2 ** 53], [-1], [1.5], [1e300], [[1, -1]], [[]], []]) refused(await post('/v1/completions', { ...ok, prompt }), `prompt ${JSON.stringify(prompt)}`, 400);
  for (const tokens of [[2 ** 31], [-1], [0.5]]) refused(await post('/detokenize', { tokens }), `detokenize ${JSON.stringify(tokens)}`, 400);
  refused(await post('/v1/embeddings', { input: [2 ** 40] }), 'embedding id 2^40', 400);
  const numeric = ['max_tokens', 'temperature', 'top_p', 'top_k', 'n', 'seed', 'presence_penalty', 'frequency_penalty', 'logprobs'];
  const values: unknown[] = [-1, -1e308, 1e308, 0.5, -0.5, 2 ** 53 + 2, '1', true, [], {}, 'NaN'];
  for (const name of numeric) {
    for (const value of values) {
      const r = await post('/v1/completions', { ...ok, [name]: value });
      answered(r, `${name} = ${JSON.stringify(value)}`);
      // OpenAI's ranges: penalties in [-2, 2], temperature in [0, 2], top_p in [0, 1]; any whole seed
      const inRange = typeof value === 'number' && ((name.endsWith('_penalty') && value >= -2 && value <= 2) || (name === 'temperature' && value === 0.5) || (name === 'top_p' && value === 0.5));
      if (r.status === 200) assert.ok(name === 'seed' || inRange, `${name} = ${JSON.stringify(value)} was accepted`);
    }
  }
  for (const [name, value] of [['max_completion_tokens', -1], ['max_completion_tokens', 1e308], ['top_logprobs', 21], ['top_logprobs', -1]] as const) {
    refused(await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], logprobs: true, [name]: value }), `chat ${name} = ${value}`, 400);
  }
  for (const [view, body] of [['attention', { induction_length: 1e9 }], ['attention', { query: 1e9 }], ['neurons', { layer: 1e9 }], ['neurons', { position: -1e9 }], ['neurons', { neuron: '99999.99999' }],
    ['attribution', { position: 1e12 }], ['lens', { k: 1e6 }], ['lens', { target: 2 ** 40 }]] as const) {
    refused(await post(`/v1/inspect/${view}`, { prompt: 'Once upon a time', ...body }), `inspect ${view} ${JSON.stringify(body)}`, 400);
  }
  refused(await post('/v1/inspect/vectors', { token: 'the', top: 1e9 }), 'vectors top 1e9', 400);
  refused(await post('/v1/inspect/vectors', { word: 'dog', sentences: ['a dog', 'the dog'], layer: 1e6 }), 'vectors layer 1e6', 400);
  await stillServing();
});

test('logit_bias with bad keys or values, n huge, stop lists huge', async () => {
  for (const bias of [{ abc: 1 }, { '-1': 1 }, { '1.5': 1 }, { '': 1 }, { 1: 'x' }, { 1: 1000 }, { 1: -1e308 }, { 1: null }, { 99999999999: 1 }, { [2 ** 53]: 1 }, [1, 2], 'x', 5]) {
    refused(await post('/v1/completions', { ...ok, logit_bias: bias }), `logit_bias ${JSON.stringify(bias)}`, 400);
  }
  const many = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [String(i % 512), -1]));
  answered(await post('/v1/completions', { ...ok, logit_bias: many }), 'logit_bias with 20,000 keys');
  for (const n of [1e6, 129, PARALLEL + 1, 0, -1]) refused(await post('/v1/completions', { ...ok, n }), `n ${n}`, 400);
  refused(await post('/v1/completions', { ...ok, prompt: Array(PARALLEL + QUEUE + 1).fill('x') }), 'more prompts than the server holds', 400);
  refused(await post('/v1/completions', { ...ok, stop: Array(10_000).fill('a') }), '10,000 stop strings', 400);
  answered(await post('/v1/completions', { ...ok, stop: ['', '', ''] }), 'empty stop strings');
  await stillServing();
});

test('wrong content types, invalid UTF-8, and a body that never finishes', async () => {
  const body = JSON.stringify(ok);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'image/png']) {
    refused(await send('/v1/completions', body, { 'content-type': type }), `content-type ${type}`, 415);
  }
  refused(await send('/v1/completions', body, {}), 'no content type', 415);
  // invalid UTF-8 inside a string, and as the structure itself
  answered(await send('/v1/completions', Buffer.concat([Buffer.from('{"prompt": "a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('", "max_tokens": 2}')])), 'invalid UTF-8 in the prompt');
  refused(await send('/v1/completions', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'invalid UTF-8 as JSON', 400);
  refused(await send('/v1/completions', Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from(body)]).subarray(3, 6)), 'a fragment', 400);
  // slowloris: headers promise 1,000 bytes, 10 arrive, then nothing: 408 in OpenAI's shape once --read-timeout (1 s) passes
  const { port } = new URL(server.url);
  const t0 = performance.now();
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt":');
    });
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 15_000);
  });
  const ms = performance.now() - t0;
  assert.match(reply, /^HTTP\/1\.1 408/, reply.slice(0, 200));
  const json = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
  assert.equal(json.error.code, 'request_timeout');
  assert.ok(ms < 5000, `the stalled body was cut after ${ms.toFixed(0)} ms`);
  // a declared length the body never reaches, with the client's side closed
  const short = await new Promise<string>((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"prompt": "x"}'));
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
  assert.ok(short === '' || /^HTTP\/1\.1 4\d\d/.test(short), short.slice(0, 200));
  await stillServing();
});

test('hundreds of concurrent connections, good and bad: all answered, none hangs; then the server still serves and its memory stayed bounded', async () => {
  const bad = ['{', '{"prompt": [99999999]}', JSON.stringify({ ...ok, n: 1000 }), JSON.stringify({ prompt: 'x', temperature: -1 })];
  const jobs = Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? send('/v1/completions', JSON.stringify({ ...ok, logit_bias: { [eos]: -100 } })) : send('/v1/completions', bad[i % bad.length])));
  const replies = await Promise.all(jobs);
  const counts = new Map<number, number>();
  for (const r of replies) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  for (const [i, r] of replies.entries()) {
    if (r.status === 200 || r.status === 429) assert.ok(i % 5 === 0, `request ${i} (bad) got ${r.status}`);
    else refused(r, `concurrent request ${i}`);
  }
  assert.equal([...counts.keys()].filter((s) => s >= 500).length, 0, `statuses ${JSON.stringify([...counts])}`);
  await stillServing();
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const reported = metricValue(metrics, 'glasslm_resident_memory_bytes');
  const now = rss(server.proc.pid!);
  console.log(`server RSS ${(rssAtStart / 2 ** 20).toFixed(0)} MiB after warm-up, ${(now / 2 ** 20).toFixed(0)} MiB after the hostile requests (/metrics: ${(reported / 2 ** 20).toFixed(0)} MiB); statuses ${JSON.stringify([...counts])}`);
  assert.ok(reported > 0, '/metrics reports resident memory');
  assert.ok(now < rssAtStart + 400 * 2 ** 20 && now < 1.5 * 2 ** 30, `RSS grew from ${rssAtStart} to ${now}`);
});

test('--ctx bounds prompts and generations (400 with a clear message); the deadline ends a generation with 504 and frees its slot', async () => {
  const small = await startServer(['--ctx', '24', '--request-timeout', '0.05', '--parallel', '1']);
  try {
    const health = (await (await fetch(`${small.url}/health`)).json()) as { models: { contextLength: number }[] };
    assert.equal(health.models[0].contextLength, 24);
    const long = await post('/v1/completions', { prompt: 'the dog '.repeat(20), max_tokens: 1 }, small.url);
    refused(long, 'a prompt longer than --ctx', 400);
    assert.equal(long.json.error.code, 'context_length_exceeded');
    assert.equal(long.json.error.param, 'prompt');
    assert.match(long.json.error.message, /context window is 24 tokens/);
    const over = await post('/v1/completions', { prompt: 'Once upon a time', max_tokens: 30 }, small.url);
    refused(over, 'max_tokens past --ctx', 400);
    assert.equal(over.json.error.param, 'max_tokens');
    assert.match(over.json.error.message, /context window is 24 tokens/);
    refused(await post('/v1/embeddings', { input: 'the dog '.repeat(20) }, small.url), 'embedding past --ctx', 400);
    // the deadline (50 ms) passes long before 24 tokens can stream back on this machine? Not for certain: use a queue
    // (16 requests of 20 tokens through one slot: 320 tokens; 6 could all finish inside 50 ms once a token took 0.3 ms)
    const m0 = metricValue(await (await fetch(`${small.url}/metrics`)).text(), 'glasslm_cancelled_requests_total{reason="deadline"}');
    const runs = await Promise.all(Array.from({ length: 16 }, () => post('/v1/completions', { prompt: 'Once', max_tokens: 20, logit_bias: { [eos]: -100 } }, small.url)));
    const late = runs.filter((r) => r.status === 504);
    assert.ok(late.length >= 1, `statuses ${runs.map((r) => r.status)}`);
    for (const r of late) {
      refused({ ...r, status: 404 }, 'deadline (shape)');
      assert.equal(r.json.error.code, 'timeout');
      assert.match(r.json.error.message, /deadline of 0\.05 s/);
    }
    for (const r of runs) assert.ok(r.status === 200 || r.status === 504, `status ${r.status}`);
    const m1 = metricValue(await (await fetch(`${small.url}/metrics`)).text(), 'glasslm_cancelled_requests_total{reason="deadline"}');
    assert.equal(m1 - m0, late.length);
    // the slots are freed: the server goes idle
    for (let i = 0; ; i++) {
      const h = (await (await fetch(`${small.url}/health`)).json()) as { models: { running: number; queued: number }[] };
      if (h.models[0].running === 0 && h.models[0].queued === 0) break;
      assert.ok(i < 100, 'the server stays busy after the deadlines');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await small.stop();
  }
});
