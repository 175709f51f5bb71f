// Inspection over HTTP: POST /v1/inspect/{lens,attention,attribution,patching,neurons,vectors,tokens}
// return the same typed data as the library's views (src/inspect) and the CLI's --json. Text is
// tokenized here as for completions (BOS first where the vocabulary has one); the views run in
// the model worker between decode steps.

import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.js';
import type { RouteContext } from './openai-routes.js';
import { InspectBodies } from './schemas.js';
import type { ServedModel } from './served-model.js';
import { tokenLabel } from '../inspect/prompt.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Prompt ids for a view, checked against the context window. */
function promptIds(served: ServedModel, text: string, bos: boolean | undefined, param: string): number[] {
  const ids = bos === false ? served.encode(text) : served.encodePrompt(text);
  if (ids.length === 0) throw badRequest(`${param} gives no tokens`, param);
  const n = served.host.info!.contextLength;
  if (ids.length > n) throw badRequest(`${param} is ${ids.length} tokens; the context window is ${n}`, param, 'context_length_exceeded');
  return ids;
}

/** A token argument: an id, or text that must be exactly one token. */
function tokenRef(served: ServedModel, ref: string | number | undefined, param: string): number | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'number') {
    served.checkIds([ref], param);
    return ref;
  }
  const ids = served.encode(ref);
  if (ids.length !== 1) throw badRequest(`${param} '${ref}' is ${ids.length} tokens; give one token, or its id`, param);
  return ids[0];
}

/**
 * Most numbers one attention view may return: every head's T × T pattern (and, with qkv, every
 * layer's queries, keys and values) travels as JSON. 16M numbers are ~200 MB of it; GPT-2-small's
 * 144 heads over 1,000 tokens would be 144M, past what a JavaScript string can hold.
 */
const MAX_ATTENTION_NUMBERS = 16_000_000;

/** Refuses an attention view too large to send, before any work, saying how long a prompt fits. */
function checkAttentionSize(served: ServedModel, T: number, qkv: boolean): void {
  const { layers: L, heads: H, dim: d } = served.host.info!;
  const numbers = (T: number) => L * H * T * T + (qkv ? 3 * L * T * d : 0);
  if (numbers(T) <= MAX_ATTENTION_NUMBERS) return;
  let fits = T;
  while (fits > 1 && numbers(fits) > MAX_ATTENTION_NUMBERS) fits--;
  throw badRequest(`the attention view of ${T} tokens is ${numbers(T).toLocaleString('en')} numbers (${L} layers × ${H} heads × ${T}²${qkv ? ', with queries, keys and values' : ''}); this server sends at most ${MAX_ATTENTION_NUMBERS.toLocaleString('en')}: give at most ${fits} tokens${qkv ? ', or qkv: false' : ''}`, 'prompt', 'view_too_large');
}

export function registerInspectRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const view = (name: keyof typeof InspectBodies, build: (served: ServedModel, b: Body) => Record<string, unknown> | Promise<unknown>, method: string = name) => {
    app.post<{ Body: Body }>(`/v1/inspect/${name}`, { schema: { body: InspectBodies[name] } }, async (req) => {
      const served = ctx.model(req.body.model);
      const args = await build(served, req.body);
      if (method === '') return args;
      try {
        return await served.host.call(method, args as Record<string, unknown>);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    });
  };
  view('lens', (s, b) => ({ ids: promptIds(s, b.prompt, b.bos, 'prompt'), k: b.k, target: tokenRef(s, b.target, 'target') }));
  view('attention', (s, b) => {
    const ids = promptIds(s, b.prompt, b.bos, 'prompt');
    checkAttentionSize(s, ids.length, b.qkv !== false);
    return { ids, qkv: b.qkv, query: b.query, inductionLength: b.induction_length, seed: b.seed };
  });
  view('attribution', (s, b) => ({ ids: promptIds(s, b.prompt, b.bos, 'prompt'), position: b.position, token: tokenRef(s, b.token, 'token'), wrong: tokenRef(s, b.wrong, 'wrong') }));
  view('patching', (s, b) => ({
    clean: promptIds(s, b.clean, b.bos, 'clean'), corrupted: promptIds(s, b.corrupted, b.bos, 'corrupted'),
    answer: tokenRef(s, b.answer, 'answer'), wrong: tokenRef(s, b.wrong, 'wrong'),
  }));
  view('neurons', (s, b) => {
    const neuron = b.neuron === undefined ? undefined : { layer: Number(b.neuron.split('.')[0]), index: Number(b.neuron.split('.')[1]) };
    return { ids: promptIds(s, b.prompt, b.bos, 'prompt'), position: b.position, layer: b.layer, top: b.top, neuron, window: b.window };
  });
  view('vectors', (s, b) => {
    if ((b.token === undefined) === (b.word === undefined)) throw badRequest('give either token (nearest tokens) or word with sentences (contextual vectors)');
    if (b.word !== undefined && b.sentences === undefined) throw badRequest('word needs two or more sentences', 'sentences');
    return { token: tokenRef(s, b.token, 'token'), top: b.top, word: b.word, sentences: b.sentences, layer: b.layer, allowSpecial: s.options.allowSpecial };
  });
  // the prompt's tokens as the views label them (no model run)
  view('tokens', (s, b) => {
    const ids = promptIds(s, b.prompt, b.bos, 'prompt');
    const label = tokenLabel(s.tokenizer);
    return { ids, tokens: ids.map(label) };
  }, '');
}
