// `glasslm serve` through the official `openai` client, against a real server process on loopback
// serving the built-in model: models, completions (greedy output equal to `glasslm generate`),
// chat streamed and not, logprobs, usage in the stream, stop strings, seeded sampling,
// embeddings (equal to an in-process computation from the library's hidden states).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import OpenAI from 'openai';
import { loadModelAndTokenizer } from '../src/cli/model-args.js';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import { join } from 'node:path';
import { type RunningServer, generateJson, startServer } from './server-helpers.js';
import { projectRoot } from './shared.js';

const MODEL = 'glasslm-builtin';
const KEY = 'test-key-123';
let server: RunningServer;
let client: OpenAI;

before(async () => {
  server = await startServer(['--parallel', '4', '--cors', 'http://page.example'], { GLASSLM_API_KEY: KEY });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
after(async () => {
  assert.equal(await server.stop(), 0, 'SIGTERM ends the server with exit code 0');
});

test('CORS: the allowed origin gets the header (the behaviour test checks that none is sent without --cors)', async () => {
  const r = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}`, origin: 'http://page.example' } });
  assert.equal(r.headers.get('access-control-allow-origin'), 'http://page.example');
  const other = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}`, origin: 'http://evil.example' } });
  assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://evil.example');
  const preflight = await fetch(`${server.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'http://page.example', 'access-control-request-method': 'POST' } });
  assert.ok(preflight.status === 204 || preflight.status === 200, `preflight ${preflight.status}`);
});

test('models lists the built-in model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [MODEL]);
  assert.equal((await client.models.retrieve(MODEL)).id, MODEL);
});

test('greedy completion equals `glasslm generate --temperature 0` on the same prompt', async () => {
  const prompt = 'Once upon a time, a little dog';
  const cli = generateJson([prompt, '--temperature', '0', '--max-tokens', '40']);
  const r = await client.completions.create({ model: MODEL, prompt, max_tokens: 40, temperature: 0 });
  assert.equal(r.choices[0].text, cli.text);
  assert.equal(r.usage!.prompt_tokens, cli.prompt_ids.length);
  assert.equal(r.usage!.completion_tokens, cli.ids.length);
  assert.equal(r.choices[0].finish_reason, cli.ids.length === 40 ? 'length' : 'stop');
  // streamed, the pieces add up to the same text
  const stream = await client.completions.create({ model: MODEL, prompt, max_tokens: 40, temperature: 0, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  assert.equal(text, cli.text);
});

test('completions: a list of prompts, token-id prompts, echo, n', async () => {
  const prompt = 'The cat sat';
  const one = await client.completions.create({ model: MODEL, prompt, max_tokens: 8, temperature: 0 });
  const ids = (await (await fetch(`${server.url}/tokenize`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ prompt }) })).json()) as { tokens: number[] };
  const byIds = await client.completions.create({ model: MODEL, prompt: ids.tokens, max_tokens: 8, temperature: 0 });
  assert.equal(byIds.choices[0].text, one.choices[0].text, 'token ids give the same greedy text as the text');
  const two = await client.completions.create({ model: MODEL, prompt: [prompt, 'Lily went'], max_tokens: 8, temperature: 0, n: 2 });
  assert.equal(two.choices.length, 4);
  assert.deepEqual(two.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.equal(two.choices[0].text, one.choices[0].text);
  assert.equal(two.choices[1].text, one.choices[0].text, 'greedy choices of one prompt agree');
  const echo = await client.completions.create({ model: MODEL, prompt, max_tokens: 8, temperature: 0, echo: true });
  assert.equal(echo.choices[0].text, prompt + one.choices[0].text);
  const detok = (await (await fetch(`${server.url}/detokenize`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ tokens: ids.tokens.slice(1) }) })).json()) as { prompt: string };
  assert.equal(detok.prompt, prompt);
});

test('OpenAI fields at their neutral values (what clients and front ends send) change nothing; an answer sent back in the history is read as its text', async () => {
  const messages = [{ role: 'user' as const, content: 'Tell me a story' }];
  const plain = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 12, temperature: 0 });
  const neutral = await client.chat.completions.create({
    model: MODEL, messages, max_tokens: 12, temperature: 0, tools: [], tool_choice: 'none', parallel_tool_calls: false, response_format: { type: 'text' }, store: false, metadata: { run: 'test' }, service_tier: 'auto', user: 'u1',
  } as never);
  assert.equal(neutral.choices[0].message.content, plain.choices[0].message.content);
  // the answer object as the client returned it (refusal: null …) goes back into the conversation
  const answer = { ...plain.choices[0].message, refusal: null, tool_calls: [] };
  const next = [...messages, answer, { role: 'user' as const, content: 'Again' }];
  const withObject = await client.chat.completions.create({ model: MODEL, messages: next as never, max_tokens: 8, temperature: 0 });
  const withText = await client.chat.completions.create({ model: MODEL, messages: [...messages, { role: 'assistant', content: plain.choices[0].message.content }, { role: 'user', content: 'Again' }], max_tokens: 8, temperature: 0 });
  assert.equal(withObject.choices[0].message.content, withText.choices[0].message.content);
  const nullContent = await client.chat.completions.create({ model: MODEL, messages: [...messages, { role: 'assistant', content: null }, { role: 'user', content: 'Again' }] as never, max_tokens: 8, temperature: 0 });
  const emptyContent = await client.chat.completions.create({ model: MODEL, messages: [...messages, { role: 'assistant', content: '' }, { role: 'user', content: 'Again' }], max_tokens: 8, temperature: 0 });
  assert.equal(nullContent.choices[0].message.content, emptyContent.choices[0].message.content, 'null content reads as empty text');
  const completion = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
  const neutralCompletion = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 8, temperature: 0, best_of: 1, suffix: null } as never);
  assert.equal(neutralCompletion.choices[0].text, completion.choices[0].text);
});

test('echo with logprobs: the prompt tokens spell the echoed text, their offsets index it, and the first is scored given the BOS the server added', async () => {
  const prompt = 'Once upon a time';
  const r = await client.completions.create({ model: MODEL, prompt, max_tokens: 0, echo: true, logprobs: 3 });
  const lp = r.choices[0].logprobs!;
  assert.equal(r.choices[0].text, prompt);
  assert.equal(lp.tokens!.join(''), prompt, 'no BOS text among the tokens: the echoed text has none');
  lp.tokens!.forEach((t, i) => assert.equal(prompt.slice(lp.text_offset![i], lp.text_offset![i] + t.length), t, `offset of token ${i}`));
  // the first token's score: what the model gives it after BOS alone, as a completion of the empty prompt reports
  const fromBos = await client.completions.create({ model: MODEL, prompt: '', max_tokens: 1, temperature: 0, logprobs: 5 });
  const alt = fromBos.choices[0].logprobs!.top_logprobs![0];
  assert.ok(lp.tokens![0] in alt, `'${lp.tokens![0]}' is among the likeliest first tokens`);
  assert.ok(Math.abs(lp.token_logprobs![0]! - alt[lp.tokens![0]]) < 1e-4, `${lp.token_logprobs![0]} vs ${alt[lp.tokens![0]]}`);
  // token-id prompts are echoed as sent: the first id is unscored (null), as OpenAI does
  const ids = (await (await fetch(`${server.url}/tokenize`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ prompt }) })).json()) as { tokens: number[] };
  const byIds = await client.completions.create({ model: MODEL, prompt: ids.tokens, max_tokens: 0, echo: true, logprobs: 1 });
  assert.equal(byIds.choices[0].logprobs!.tokens!.length, ids.tokens.length);
  assert.equal(byIds.choices[0].logprobs!.token_logprobs![0], null);
  assert.ok(Math.abs(byIds.choices[0].logprobs!.token_logprobs![1]! - lp.token_logprobs![0]!) < 1e-5, 'the same token, scored the same way');
});

test('logprobs: the chosen token is the most likely under greedy; alternatives sorted; probabilities ≤ 1', async () => {
  const r = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 5, temperature: 0, logprobs: 3 });
  const lp = r.choices[0].logprobs!;
  assert.equal(lp.tokens!.length, 5);
  assert.equal(lp.tokens!.join(''), r.choices[0].text);
  for (let i = 0; i < 5; i++) {
    const top = Object.entries(lp.top_logprobs![i]);
    assert.equal(top.length, 3);
    assert.ok(top.every(([, v], j) => v <= 0 && (j === 0 || v <= top[j - 1][1])), 'sorted, ≤ 0');
    assert.equal(lp.token_logprobs![i], top[0][1], 'greedy takes the top alternative');
  }
  // the built-in model is no chat model (it often ends the turn at once): end-of-text is banned here
  const eos = loadModelAndTokenizer({}).tokenizer.eos!;
  const chat = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 2, logit_bias: { [eos]: -100 } });
  const content = chat.choices[0].logprobs!.content!;
  assert.equal(content.length, 4);
  assert.equal(content.map((c) => c.token).join(''), chat.choices[0].message.content);
  for (const c of content) {
    assert.equal(c.top_logprobs.length, 2);
    assert.equal(c.logprob, c.top_logprobs[0].logprob);
    assert.equal(Buffer.from(c.bytes!).toString('utf8'), c.token);
  }
});

test('chat: streamed and whole agree; usage arrives in the stream; finish_reason', async () => {
  const messages = [{ role: 'system' as const, content: 'You tell stories.' }, { role: 'user' as const, content: 'Once there was a cat.' }];
  const whole = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 30, temperature: 0 });
  assert.equal(whole.choices[0].message.role, 'assistant');
  assert.ok(['stop', 'length'].includes(whole.choices[0].finish_reason));
  const stream = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 30, temperature: 0, stream: true, stream_options: { include_usage: true } });
  let text = '', usage: OpenAI.CompletionUsage | undefined, finish: string | null = null, role: string | undefined;
  for await (const chunk of stream) {
    // OpenAI: "all other chunks will also include a usage field, but with a null value"
    assert.ok(usage === undefined && (chunk.usage === null || chunk.choices.length === 0), 'usage is null on every chunk before the last, which has no choices');
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    role ??= c.delta.role;
    text += c.delta.content ?? '';
    finish = c.finish_reason ?? finish;
  }
  assert.equal(role, 'assistant');
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);
});

test('stop strings cut the text before the stop and finish with "stop"', async () => {
  const prompt = 'Once upon a time';
  const free = await client.completions.create({ model: MODEL, prompt, max_tokens: 30, temperature: 0 });
  const full = free.choices[0].text;
  const word = full.trim().split(/\s+/)[3]; // a word from inside the greedy text
  const at = full.indexOf(word);
  const r = await client.completions.create({ model: MODEL, prompt, max_tokens: 30, temperature: 0, stop: [word, 'zzzz'] });
  assert.equal(r.choices[0].text, full.slice(0, at));
  assert.equal(r.choices[0].finish_reason, 'stop');
  const s = await client.completions.create({ model: MODEL, prompt, max_tokens: 30, temperature: 0, stop: word, stream: true });
  let text = '';
  for await (const chunk of s) text += chunk.choices[0]?.text ?? '';
  assert.equal(text, full.slice(0, at), 'streamed: nothing of the stop string leaks out');
});

test('seeded sampling is reproducible; another seed differs', async () => {
  const ask = (seed: number) => client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 30, temperature: 1, top_p: 0.95, seed, ...{ top_k: 40 } });
  const [a, b, c] = [await ask(7), await ask(7), await ask(8)];
  assert.equal(a.choices[0].text, b.choices[0].text);
  assert.notEqual(a.choices[0].text, c.choices[0].text);
});

test('penalties and logit_bias change the greedy choice as OpenAI defines them', async () => {
  const base = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 1, temperature: 0, logprobs: 2 });
  const lp = base.choices[0].logprobs!;
  const top = lp.tokens![0];
  const ids = (await (await fetch(`${server.url}/tokenize`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: top, add_special_tokens: false }) })).json()) as { tokens: number[] };
  assert.equal(ids.tokens.length, 1);
  const banned = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 1, temperature: 0, logit_bias: { [ids.tokens[0]]: -100 } });
  assert.equal(banned.choices[0].text, Object.keys(lp.top_logprobs![0])[1], 'the runner-up wins once the top token is banned');
});

test('embeddings: mean of the final hidden states, L2-normalised, as computed in-process', async () => {
  const r = await client.embeddings.create({ model: MODEL, input: ['Once upon a time', 'The cat'] });
  assert.equal(r.data.length, 2);
  const { model, tokenizer } = loadModelAndTokenizer({});
  for (const [i, text] of ['Once upon a time', 'The cat'].entries()) {
    const v = r.data[i].embedding;
    assert.equal(v.length, model.config.dim);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, 'unit length');
    // independent path: the last of hiddenStates is the final norm's output (Hugging Face's convention)
    const ids = tokenizer.encode(text);
    const h = noGrad(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length]), { hiddenStates: true }).hiddenStates!.at(-1)!.toArray() as number[]);
    const C = model.config.dim, mean = new Array(C).fill(0);
    for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) mean[c] += h[t * C + c] / ids.length;
    const norm = Math.hypot(...mean);
    const worst = Math.max(...mean.map((m, c) => Math.abs(m / norm - v[c])));
    assert.ok(worst < 1e-4, `embedding differs from the in-process mean by ${worst}`);
  }
  assert.equal(r.usage.prompt_tokens > 0, true);
});

test('special-token text in a prompt is plain text unless the server allows special tokens', async () => {
  const tok = async (prompt: string) => ((await (await fetch(`${server.url}/tokenize`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ prompt, add_special_tokens: false }) })).json()) as { tokens: number[] }).tokens;
  const ids = await tok('<|endoftext|>');
  assert.ok(ids.length > 1, `encoded as characters, not one special id: ${ids}`);
});

test('inspection endpoints return the CLI --json data', async () => {
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return (await r.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const prompt = 'Once upon a time';
  const cli = (cmd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), cmd, prompt, '--json', '--threads', '1', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const lens = await post('/v1/inspect/lens', { prompt, k: 3 });
  assert.deepEqual(lens, cli('lens', '--k', '3'));
  const attr = await post('/v1/inspect/attribution', { prompt });
  assert.deepEqual(attr, cli('attribute'));
  const att = await post('/v1/inspect/attention', { prompt, qkv: false });
  assert.equal(att.patterns.length, 6);
  const tokens = await post('/v1/inspect/tokens', { prompt });
  assert.deepEqual(tokens.tokens, lens.tokens);
  for (const [path, body] of [['/v1/inspect/neurons', { prompt, top: 3 }], ['/v1/inspect/patching', { clean: 'Lily had a cat', corrupted: 'Tom had a cat', answer: 100, wrong: 200 }], ['/v1/inspect/vectors', { token: 300, top: 3 }]] as const) await post(path, body);
});
