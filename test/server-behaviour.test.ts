// `glasslm serve` under load and abuse, against a real server process on loopback: every error
// path answers with OpenAI's error JSON and the right status; N concurrent greedy requests give
// exactly what each gives alone (continuous batching); a client that drops mid-stream frees its
// slot within a second and is counted; SIGTERM lets a running stream finish and exits 0.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './shared.js';
import { BUILTIN_MODEL_DIR } from '../src/cli/model-args.js';
import { loadTokenizer, saveGgufModel } from '../src/node.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { type RunningServer, metricValue, startServer } from './server-helpers.js';

/** The built-in model tells short stories: end-of-text is banned where a request must run long. */
const noEnd = { logit_bias: { [loadTokenizer(BUILTIN_MODEL_DIR).eos!]: -100 } };

const KEY = 'k3y-for-tests';
const PARALLEL = 4, QUEUE = 2;
let server: RunningServer;

before(async () => {
  server = await startServer(['--parallel', String(PARALLEL), '--max-queue', String(QUEUE), '--body-limit', '4096', '--api-key', KEY]);
});
after(async () => {
  await server.stop();
});

const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

async function post(path: string, body: unknown, headers: Record<string, string> = auth) {
  const r = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, headers: r.headers, json: (await r.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Asserts OpenAI's error shape, status, and (when given) param and code. */
function isError(r: { status: number; json: any }, status: number, param?: string | null, code?: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(r.status, status, JSON.stringify(r.json));
  const e = r.json.error;
  assert.ok(e && typeof e.message === 'string' && e.message.length > 0 && typeof e.type === 'string' && 'param' in e && 'code' in e, JSON.stringify(r.json));
  if (param !== undefined) assert.equal(e.param, param);
  if (code !== undefined) assert.equal(e.code, code);
}

test('every error path answers with OpenAI error JSON', async () => {
  const ok = { prompt: 'Once upon a time', max_tokens: 2 };
  assert.equal((await post('/v1/completions', ok)).status, 200);
  isError(await post('/v1/completions', '{"prompt": "x",'), 400, null, 'invalid_json');
  isError(await post('/v1/completions', { ...ok, max_tokens: '3' }), 400, 'max_tokens');
  isError(await post('/v1/completions', { ...ok, temperature: 'hot' }), 400, 'temperature');
  isError(await post('/v1/chat/completions', { messages: 'hi' }), 400, 'messages');
  isError(await post('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'hi' }] }), 400, 'messages.0.role');
  isError(await post('/v1/completions', { ...ok, max_tokens: -5 }), 400, 'max_tokens');
  isError(await post('/v1/completions', { ...ok, max_tokens: 1_000_000 }), 400, 'max_tokens', 'context_length_exceeded');
  isError(await post('/v1/completions', { ...ok, top_p: 0 }), 400, 'top_p');
  isError(await post('/v1/completions', { ...ok, n: PARALLEL + 1 }), 400, 'n');
  isError(await post('/v1/completions', { ...ok, frobnicate: true }), 400, 'frobnicate', 'unknown_parameter');
  assert.match((await post('/v1/completions', { ...ok, frobnicate: true })).json.error.message, /unrecognized request argument supplied: frobnicate/);
  const hi = [{ role: 'user', content: 'hi' }];
  isError(await post('/v1/chat/completions', { messages: [{ ...hi[0], mood: 'x' }] }), 400, 'messages.0.mood', 'unknown_parameter');
  // features this server does not offer are refused by name, never ignored
  isError(await post('/v1/chat/completions', { messages: hi, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }), 400, 'tools', 'unsupported_parameter');
  isError(await post('/v1/chat/completions', { messages: hi, tool_choice: 'required' }), 400, 'tool_choice', 'unsupported_parameter');
  isError(await post('/v1/chat/completions', { messages: hi, response_format: { type: 'json_object' } }), 400, 'response_format', 'unsupported_parameter');
  isError(await post('/v1/chat/completions', { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, ...hi] }), 400, 'messages.0.tool_calls', 'unsupported_parameter');
  isError(await post('/v1/completions', { ...ok, suffix: ' the end' }), 400, 'suffix', 'unsupported_parameter');
  isError(await post('/v1/completions', { ...ok, best_of: 3 }), 400, 'best_of', 'unsupported_parameter');
  isError(await post('/v1/completions', { ...ok, prompt: [99999] }), 400, 'prompt', 'invalid_token');
  isError(await post('/v1/completions', { ...ok, model: 'gpt-4' }), 404, 'model', 'model_not_found');
  isError(await post('/v1/completions', { ...ok, model: '/etc/passwd' }), 404, 'model', 'model_not_found');
  isError(await post('/v1/completions', { prompt: 'the dog '.repeat(150), max_tokens: 1 }), 400, 'prompt', 'context_length_exceeded');
  isError(await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'the dog '.repeat(150) }] }), 400, 'messages', 'context_length_exceeded');
  isError(await post('/v1/completions', ok, { 'content-type': 'application/json' }), 401, null, 'invalid_api_key');
  isError(await post('/v1/completions', ok, { ...auth, authorization: 'Bearer wrong' }), 401, null, 'invalid_api_key');
  isError(await post('/v1/completions', { prompt: 'x'.repeat(5000) }), 413, null, 'body_too_large');
  const missing = await fetch(`${server.url}/v1/nothing`, { headers: auth });
  assert.equal(missing.status, 404);
  // health needs no key; CORS headers only with --cors
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
  const models = await fetch(`${server.url}/v1/models`, { headers: { ...auth, origin: 'http://evil.example' } });
  assert.equal(models.headers.get('access-control-allow-origin'), null);
});

/** A streaming completion read with node:http so the test controls the socket. */
function stream(body: Record<string, unknown>, onChunk?: (text: string, req: ReturnType<typeof httpRequest>) => void): Promise<{ status: number; text: string; done: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/v1/completions`, { method: 'POST', headers: auth }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        raw += d;
        onChunk?.(raw, req);
      });
      const finish = () => {
        const text = raw.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)).choices?.[0]?.text ?? '').join('');
        resolve({ status: res.statusCode!, text, done: raw.includes('data: [DONE]') });
      };
      res.on('end', finish);
      res.on('close', finish);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve({ status: 0, text: '', done: false }) : reject(e)));
    req.end(JSON.stringify({ ...body, stream: true }));
  });
}

test('a full queue answers 429 with Retry-After', async () => {
  await idle();
  // more long streams at once than the slots and the queue hold. The built-in model is fast (a
  // 250-token stream can end in ~75 ms, before the last requests of a burst arrive on a busy
  // machine), so a stream that ended early may let one more in: every request up to the slots and
  // the queue is accepted, and at least one beyond them is refused
  const controller = new AbortController();
  const ok = 'glasslm_requests_total{route="/v1/completions",status="200"}';
  const finished = async () => metricValue(await (await fetch(`${server.url}/metrics`, { headers: auth })).text(), ok);
  const finished0 = await finished();
  const long = () => fetch(`${server.url}/v1/completions`, { method: 'POST', headers: auth, signal: controller.signal, body: JSON.stringify({ prompt: 'Once', max_tokens: 250, stream: true, temperature: 1, ...noEnd }) });
  const replies = await Promise.all(Array.from({ length: PARALLEL + QUEUE + 6 }, long));
  const statuses = replies.map((r) => r.status).sort();
  const accepted = statuses.filter((s) => s === 200).length, refusedCount = statuses.filter((s) => s === 429).length;
  assert.equal(accepted + refusedCount, statuses.length, `statuses ${statuses}`);
  assert.ok(accepted >= PARALLEL + QUEUE && refusedCount >= 1, `statuses ${statuses}`);
  // each one accepted beyond the slots and the queue had a place freed by a stream that finished
  const early = (await finished()) - finished0;
  assert.ok(accepted - (PARALLEL + QUEUE) <= early, `${accepted} accepted, ${early} finished early`);
  const refused = replies.find((r) => r.status === 429)!;
  assert.equal(refused.headers.get('retry-after'), '1');
  isError({ status: 429, json: await refused.json() }, 429, null, 'queue_full');
  controller.abort();
  const metrics = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
  assert.equal(metricValue(metrics, 'glasslm_rejected_requests_total'), refusedCount);
  await idle();
});

/** Waits until the server runs nothing; returns the milliseconds it took. */
async function idle(limitMs = 5000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const h = (await (await fetch(`${server.url}/health`)).json()) as { models: { running: number; queued: number }[] };
    if (h.models[0].running === 0 && h.models[0].queued === 0) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) throw new Error(`still busy after ${limitMs} ms: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('N concurrent greedy requests give exactly what each gives alone', async () => {
  await idle();
  const prompts = ['Once upon a time', 'The little dog', 'Lily and Tom went to the park. They', 'One day, a big'];
  const ask = async (prompt: string) => (await post('/v1/completions', { prompt, max_tokens: 24, temperature: 0 })).json.choices[0].text as string;
  const alone: string[] = [];
  for (const p of prompts) alone.push(await ask(p));
  const together = await Promise.all(prompts.map(ask));
  assert.deepEqual(together, alone);
  // and streamed concurrently, joining at different steps
  const streamed = await Promise.all(prompts.map(async (prompt, i) => {
    await new Promise((r) => setTimeout(r, 15 * i));
    return (await stream({ prompt, max_tokens: 24, temperature: 0 })).text;
  }));
  assert.deepEqual(streamed, alone);
});

test('/metrics counts each completion once, streamed or not', async () => {
  await idle();
  const ok = 'glasslm_requests_total{route="/v1/completions",status="200"}';
  const count = async () => metricValue(await (await fetch(`${server.url}/metrics`, { headers: auth })).text(), ok);
  const c0 = await count();
  await stream({ prompt: 'Once upon a time', max_tokens: 4, temperature: 0 });
  const c1 = await count();
  await post('/v1/completions', { prompt: 'Once upon a time', max_tokens: 4, temperature: 0 });
  const c2 = await count();
  assert.deepEqual([c1 - c0, c2 - c1], [1, 1]);
});

test('a client that drops mid-stream is cancelled: its slot is free within a second and /metrics counts it', async () => {
  await idle();
  const m0 = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
  const before = metricValue(m0, 'glasslm_cancelled_requests_total{reason="disconnect"}'), tokens0 = metricValue(m0, 'glasslm_generated_tokens_total');
  const ok0 = metricValue(m0, 'glasslm_requests_total{route="/v1/completions",status="200"}'), gone0 = metricValue(m0, 'glasslm_requests_total{route="/v1/completions",status="499"}');
  let dropped = 0;
  await stream({ prompt: 'Once upon a time', max_tokens: 250, temperature: 1, ...noEnd }, (raw, req) => {
    if (!dropped && raw.split('data: {').length > 3) {
      dropped = Date.now();
      req.destroy(); // the client goes away after a few tokens
    }
  });
  assert.ok(dropped > 0, 'the stream was dropped mid-way');
  const took = await idle(1000);
  const text = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
  assert.equal(metricValue(text, 'glasslm_cancelled_requests_total{reason="disconnect"}'), before + 1);
  // the dropped stream counts once, as 499 (client closed request), not also as a 200
  assert.deepEqual([metricValue(text, 'glasslm_requests_total{route="/v1/completions",status="200"}') - ok0, metricValue(text, 'glasslm_requests_total{route="/v1/completions",status="499"}') - gone0], [0, 1]);
  const made = metricValue(text, 'glasslm_generated_tokens_total') - tokens0;
  assert.ok(made > 0 && made < 250, `the generation was cut short (${made} of 250 tokens)`);
  console.log(`slot free ${took} ms after the check began (${Date.now() - dropped} ms after the drop)`);
});

/** Nice value of each thread of process `pid` (Linux /proc: field 19 of each task's stat). */
function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on (the name may hold spaces)
    nices.set(Number(tid), Number(fields[16]));
  }
  return nices;
}

test('the HTTP thread runs at nice 10 (Linux) and every model thread at the priority the server started with; --http-nice outside 0-19 is refused', { skip: process.platform !== 'linux' && 'thread priorities are per thread on Linux only' }, async () => {
  const started = getPriority(); // the server inherits this test's nice value
  const nices = threadNices(server.proc.pid!);
  assert.equal(nices.get(server.proc.pid!), Math.max(started, 10), 'the main (HTTP) thread');
  const others = [...nices].filter(([tid]) => tid !== server.proc.pid).map(([, n]) => n);
  assert.ok(others.length >= 2 && others.every((n) => n === started), `the other threads: ${others.join(', ')}`); // the model worker and its pool among them
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'serve', '--port', '0', '--http-nice', '20'], { encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--http-nice must be at most 19, got 20/);
});

test('a server whose only model cannot be loaded says why and exits 1 (instead of answering 503 forever)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-broken-'));
  try {
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(BUILTIN_MODEL_DIR, f), join(dir, f));
    writeFileSync(join(dir, 'model.safetensors'), readFileSync(join(BUILTIN_MODEL_DIR, 'model.safetensors')).subarray(0, 5000)); // cut short
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'serve', '--port', '0', '--threads', '1', '--model', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /failed to load: .+/);
    assert.match(r.stdout, /the model could not be loaded/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an attention view too large to send is refused up front, saying how many tokens fit (it took 80 s and 8 GB, then failed, on GPT-2-small over 1,000 tokens)', async () => {
  // many heads, a long context, few parameters: layers × heads × T² passes the cap at a few hundred tokens
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-wide-'));
  const path = join(dir, 'wide.gguf');
  saveGgufModel(Model.init({ arch: 'gpt2', vocabSize: 4096, contextLength: 1024, dim: 64, layers: 16, heads: 64, mlpHidden: 128, normEps: 1e-5 } as never, new op.Rng(1)), path, { tokenizer: loadTokenizer(BUILTIN_MODEL_DIR) });
  const wide = await startServer(['--model', path]);
  try {
    const send = (prompt: string, extra = {}) => fetch(`${wide.url}/v1/inspect/attention`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt, induction_length: 4, ...extra }) });
    const t0 = performance.now();
    const big = await send('the cat sat on the mat '.repeat(100));
    const body = (await big.json()) as { error: { message: string; code: string; param: string } };
    assert.equal(big.status, 400, JSON.stringify(body));
    assert.equal(body.error.code, 'view_too_large');
    assert.equal(body.error.param, 'prompt');
    const fits = Number(/give at most (\d+) tokens/.exec(body.error.message)?.[1]);
    assert.ok(performance.now() - t0 < 5000, 'refused before any work');
    // 16 layers × 64 heads × T² + 3 × 16 × T × 64 ≤ 16,000,000 at T = fits, not at fits + 1
    const numbers = (T: number) => 16 * 64 * T * T + 3 * 16 * T * 64;
    assert.ok(numbers(fits) <= 16_000_000 && numbers(fits + 1) > 16_000_000, `fits ${fits}`);
    const small = await send('the cat sat on the mat');
    assert.equal(small.status, 200);
    assert.equal(((await small.json()) as { patterns: unknown[] }).patterns.length, 16);
  } finally {
    await wide.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM: a running stream finishes, new connections are refused, exit code 0', async () => {
  await idle();
  let signalled = false;
  const result = stream({ prompt: 'Once upon a time', max_tokens: 60, temperature: 0, ...noEnd }, (raw) => {
    if (!signalled && raw.includes('data: {')) {
      signalled = true;
      server.proc.kill('SIGTERM');
    }
  });
  const r = await result;
  assert.ok(signalled);
  assert.equal(r.status, 200);
  assert.ok(r.done, 'the stream ended with data: [DONE]');
  assert.equal(await server.stop(), 0);
  await assert.rejects(fetch(`${server.url}/health`));
});
