// The OpenAI-compatible routes: /v1/models, /v1/completions, /v1/chat/completions, /v1/embeddings.
// Requests become token ids here; the model worker does the rest (see generation.ts).

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChatMessage } from '../chat/template.js';
import type { FinishReason } from '../generate/batch.js';
import { ApiError, badRequest, errorBody } from './errors.js';
import { Generation, type GenerationParams, type TokenReport } from './generation.js';
import type { Metrics } from './metrics.js';
import { ChatBody, CompletionBody, EmbeddingsBody } from './schemas.js';
import type { ServedModel } from './served-model.js';
import { refuseUnsupportedChat, refuseUnsupportedCompletion } from './unsupported.js';

export interface RouteContext {
  models: Map<string, ServedModel>;
  metrics: Metrics;
  /** Sequences one model decodes together, and how many more may wait. */
  parallel: number;
  maxQueue: number;
  /** Milliseconds a generation may take before it is stopped (504). */
  deadlineMs: number;
  /** Resolves the request's model (404 when unknown, 503 while loading). */
  model(name: string | undefined): ServedModel;
}

/** Raw responses of streamed replies: their route counts them in /metrics when they end (200) or the client leaves (499). */
export const streamedReplies = new WeakSet<object>();

/**
 * Writes server-sent events on a hijacked reply. Events written in one turn of the event loop (the
 * tokens of one message from the model worker) leave in one write to the socket (cork/uncork).
 */
class EventStream {
  private corked = false;

  constructor(private readonly reply: FastifyReply) {
    streamedReplies.add(reply.raw);
    const headers = { ...reply.getHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };
    reply.hijack();
    reply.raw.writeHead(200, headers as Record<string, string>);
  }
  send(data: unknown): void {
    const raw = this.reply.raw;
    if (raw.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      raw.cork();
      process.nextTick(() => {
        this.corked = false;
        raw.uncork();
      });
    }
    raw.write(`data: ${JSON.stringify(data)}\n\n`);
  }
  end(): void {
    if (!this.reply.raw.destroyed) this.reply.raw.end('data: [DONE]\n\n');
  }
}

const orNull = <T>(v: T | null | undefined, fallback: T): T => (v === null || v === undefined ? fallback : v);

/** Sampling parameters shared by both generation routes, checked against the model. */
function params(ctx: RouteContext, served: ServedModel, body: CompletionBody | ChatBody, prompts: number[][], maxTokens: number | null | undefined, defaultMax: (P: number) => number, promptParam: string): Omit<GenerationParams, 'stopIds' | 'topLogprobs'> {
  const contextLength = served.host.info!.contextLength;
  const n = orNull(body.n, 1);
  if (n > ctx.parallel) throw badRequest(`n is ${n}; this server decodes at most ${ctx.parallel} sequences together (--parallel)`, 'n', 'invalid_value');
  const max: number[] = [];
  for (const ids of prompts) {
    served.checkIds(ids, promptParam);
    if (ids.length >= contextLength) {
      throw badRequest(`the prompt is ${ids.length} tokens; this model's context window is ${contextLength} tokens (including at least one to generate)`, promptParam, 'context_length_exceeded');
    }
    if (maxTokens !== null && maxTokens !== undefined && ids.length + maxTokens > contextLength) {
      throw badRequest(`this model's context window is ${contextLength} tokens; the request asks for ${ids.length + maxTokens} (${ids.length} in the prompt, ${maxTokens} to generate)`, 'max_tokens', 'context_length_exceeded');
    }
    max.push(maxTokens ?? Math.min(defaultMax(ids.length), contextLength - ids.length));
  }
  const logitBias = new Map<number, number>();
  for (const [k, v] of Object.entries(body.logit_bias ?? {})) {
    const id = Number(k);
    served.checkIds([id], 'logit_bias');
    logitBias.set(id, v);
  }
  const stop = body.stop === null || body.stop === undefined ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    prompts, maxTokens: max, n, temperature: orNull(body.temperature, 1), topP: orNull(body.top_p, 1), topK: orNull(body.top_k, 0),
    seed: orNull(body.seed, undefined as number | undefined), presencePenalty: orNull(body.presence_penalty, 0), frequencyPenalty: orNull(body.frequency_penalty, 0),
    logitBias, stop,
  };
}

/** Refuses work beyond the queue (429 + Retry-After). */
function admit(ctx: RouteContext, served: ServedModel, reply: FastifyReply, sequences: number): void {
  if (sequences > ctx.parallel + ctx.maxQueue) {
    throw badRequest(`the request needs ${sequences} sequences (prompts × n); this server holds at most ${ctx.parallel + ctx.maxQueue} (--parallel ${ctx.parallel}, --max-queue ${ctx.maxQueue})`, 'n', 'invalid_value');
  }
  if (served.host.outstanding + sequences > ctx.parallel + ctx.maxQueue) {
    ctx.metrics.rejected.inc();
    reply.header('retry-after', '1');
    throw new ApiError(429, `the server is busy: ${served.host.outstanding} sequences are running or queued (--parallel ${ctx.parallel}, --max-queue ${ctx.maxQueue}); retry shortly`, 'rate_limit_error', null, 'queue_full');
  }
}

interface ChoiceState {
  text: string;
  tokens: TokenReport[];
  finish: FinishReason | null;
}

/**
 * Runs a generation for a route: streamed (chunks from `chunk`) or whole (the body from `whole`).
 * A client that goes away stops the generation at the next decode step.
 */
function respond(ctx: RouteContext, served: ServedModel, request: FastifyRequest, reply: FastifyReply, p: GenerationParams, stream: boolean, includeUsage: boolean, route: string,
  format: {
    /** A prompt's own tokens, scored (echo with logprobs); arrives before that prompt's first chunk. */
    prompt?(prompt: number, tokens: TokenReport[]): void;
    chunk(index: number, text: string, tokens: TokenReport[], finish: FinishReason | null, first: boolean): unknown;
    whole(choices: ChoiceState[], usage: Usage): unknown;
    usageChunk(usage: Usage): unknown;
  }): Promise<void> | void {
  const choices: ChoiceState[] = Array.from({ length: p.prompts.length * p.n }, () => ({ text: '', tokens: [], finish: null }));
  const started = new Set<number>();
  const events = stream ? new EventStream(reply) : null;
  // with include_usage, every chunk before the usage chunk carries "usage": null (OpenAI's stream_options)
  const withUsageField = (chunk: unknown) => (includeUsage ? { ...(chunk as object), usage: null } : chunk);
  return new Promise<void>((resolve) => {
    let gen: Generation | undefined = undefined;
    const usage = (): Usage => ({ prompt_tokens: gen!.promptTokens, completion_tokens: gen!.completionTokens, total_tokens: gen!.promptTokens + gen!.completionTokens });
    gen = new Generation(served, p, ctx.metrics, {
      prompt(pi, tokens) {
        format.prompt?.(pi, tokens);
      },
      delta(index, text, tokens) {
        if (events) {
          events.send(withUsageField(format.chunk(index, text, tokens, null, !started.has(index))));
          started.add(index);
        } else {
          choices[index].text += text;
          choices[index].tokens.push(...tokens);
        }
      },
      finish(index, reason) {
        if (events) {
          events.send(withUsageField(format.chunk(index, '', [], reason, !started.has(index))));
          started.add(index);
        } else choices[index].finish = reason;
      },
      done(error) {
        if (events) {
          if (error) events.send(errorBody(error));
          else if (includeUsage) events.send(format.usageChunk(usage()));
          events.end();
          ctx.metrics.requests.inc({ route, status: 200 });
        } else if (error) reply.code(error.status).send(errorBody(error));
        else reply.send(format.whole(choices, usage()));
        resolve();
      },
    }, ctx.deadlineMs);
    reply.raw.on('close', () => {
      if (gen!.running) {
        ctx.metrics.cancelled.inc({ reason: 'disconnect' });
        gen!.stop();
        if (events) ctx.metrics.requests.inc({ route, status: 499 });
        resolve();
      }
    });
    void request;
  });
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function registerOpenAiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: [...ctx.models.values()].map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'glasslm' })),
  }));

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (req) => {
    const m = ctx.models.get(req.params.id);
    if (!m) throw new ApiError(404, `the model '${req.params.id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
    return { id: m.id, object: 'model', created: m.created, owned_by: 'glasslm' };
  });

  app.post<{ Body: CompletionBody }>('/v1/completions', { schema: { body: CompletionBody } }, async (req, reply) => {
    const body = req.body;
    refuseUnsupportedCompletion(body);
    const served = ctx.model(body.model);
    const prompt = body.prompt;
    const prompts: number[][] = typeof prompt === 'string' ? [served.encodePrompt(prompt)]
      : typeof prompt[0] === 'string' ? (prompt as string[]).map((s) => served.encodePrompt(s))
      : typeof prompt[0] === 'number' ? [prompt as number[]] : (prompt as number[][]);
    const base = params(ctx, served, body, prompts, body.max_tokens, () => 16, 'prompt');
    const eos = served.tokenizer.eos;
    const echo = body.echo === true;
    const topLogprobs = orNull(body.logprobs, undefined as number | undefined);
    if (body.max_tokens === 0 && !echo) throw badRequest('max_tokens 0 generates nothing: it needs echo (to score the prompt)', 'max_tokens', 'invalid_value');
    const p: GenerationParams = { ...base, stopIds: eos === undefined ? [] : [eos], topLogprobs, promptLogprobs: echo && topLogprobs !== undefined };
    admit(ctx, served, reply, prompts.length * p.n);
    const id = `cmpl-${randomUUID()}`, created = Math.floor(Date.now() / 1000);
    // echo gives back the prompt as sent: its text, or the text of its ids
    const texts = typeof prompt === 'string' ? [prompt] : typeof prompt[0] === 'string' ? (prompt as string[]) : prompts.map((ids) => served.tokenizer.decode(ids));
    const promptText = (i: number) => (echo ? texts[Math.floor(i / p.n)] : '');
    const tok = (tid: number) => served.tokenizer.decode([tid]);
    // echo with logprobs: each prompt's tokens lead its choices' logprobs, the first unscored (null), as OpenAI does.
    // A text prompt's BOS was added here, not sent: it is left out (the echoed text has none), so the
    // prompt's first token comes scored (given BOS) and the text offsets index the echoed text
    const addedBos = (typeof prompt === 'string' || typeof prompt[0] === 'string') && served.tokenizer.bos !== undefined;
    const scored: TokenReport[][] = prompts.map(() => []);
    const promptEntries = (index: number): { id: number; logprob: number | null; top: TokenReport['top'] | null }[] => {
      if (!p.promptLogprobs) return [];
      const pi = Math.floor(index / p.n);
      return addedBos ? scored[pi] : [{ id: prompts[pi][0], logprob: null, top: null }, ...scored[pi]];
    };
    const legacy = (generated: TokenReport[], offset: number, lead: ReturnType<typeof promptEntries> = []) => {
      if (p.topLogprobs === undefined) return null;
      const tokens = [...lead, ...generated];
      const text_offset: number[] = [];
      let at = lead.length ? 0 : offset;
      for (const t of tokens) {
        text_offset.push(at);
        at += tok(t.id).length;
      }
      return {
        tokens: tokens.map((t) => tok(t.id)), token_logprobs: tokens.map((t) => t.logprob),
        top_logprobs: tokens.map((t) => (t.top === null ? null : Object.fromEntries(t.top.map((a) => [tok(a.id), a.logprob])))), text_offset,
      };
    };
    const offsets = new Map<number, number>();
    await respond(ctx, served, req, reply, p, body.stream === true, body.stream_options?.include_usage === true, '/v1/completions', {
      prompt(pi, tokens) {
        scored[pi].push(...tokens);
      },
      chunk(index, text, tokens, finish, first) {
        const lead = first ? promptText(index) : '';
        const scores = first ? promptEntries(index) : [];
        const at = offsets.get(index) ?? 0;
        offsets.set(index, at + lead.length + text.length);
        return { id, object: 'text_completion', created, model: served.id, choices: [{ index, text: lead + text, logprobs: tokens.length || scores.length ? legacy(tokens, at + lead.length, scores) : null, finish_reason: finish }] };
      },
      whole(choices, usage) {
        return {
          id, object: 'text_completion', created, model: served.id,
          choices: choices.map((c, index) => ({ index, text: promptText(index) + c.text, logprobs: legacy(c.tokens, promptText(index).length, promptEntries(index)), finish_reason: c.finish })),
          usage,
        };
      },
      usageChunk(usage) {
        return { id, object: 'text_completion', created, model: served.id, choices: [], usage };
      },
    });
    return reply;
  });

  app.post<{ Body: ChatBody }>('/v1/chat/completions', { schema: { body: ChatBody } }, async (req, reply) => {
    const body = req.body;
    refuseUnsupportedChat(body);
    const served = ctx.model(body.model);
    const messages: ChatMessage[] = body.messages.map((m) => ({ role: m.role, content: m.content === null ? '' : typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join('') }));
    let ids: number[];
    try {
      ids = served.encodeChat(messages);
    } catch (err) {
      throw badRequest((err as Error).message, 'messages');
    }
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    const base = params(ctx, served, body, [ids], maxTokens, (P) => served.host.info!.contextLength - P, 'messages');
    const p: GenerationParams = {
      ...base, stop: [...base.stop, ...served.chatStopStrings], stopIds: served.chatStopIds,
      topLogprobs: body.logprobs === true ? orNull(body.top_logprobs, 0) : undefined,
    };
    if (body.top_logprobs !== null && body.top_logprobs !== undefined && body.logprobs !== true) throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs');
    admit(ctx, served, reply, p.n);
    const id = `chatcmpl-${randomUUID()}`, created = Math.floor(Date.now() / 1000);
    const entry = (t: { id: number; logprob: number }) => {
      const token = served.tokenizer.decode([t.id]);
      return { token, logprob: t.logprob, bytes: Array.from(served.tokenizer.pieceBytes(t.id)) };
    };
    const logprobs = (tokens: TokenReport[]) => (p.topLogprobs === undefined ? null : { content: tokens.map((t) => ({ ...entry(t), top_logprobs: t.top.map(entry) })) });
    await respond(ctx, served, req, reply, p, body.stream === true, body.stream_options?.include_usage === true, '/v1/chat/completions', {
      chunk(index, text, tokens, finish, first) {
        const delta: Record<string, string> = first ? { role: 'assistant', content: text } : text ? { content: text } : {};
        return { id, object: 'chat.completion.chunk', created, model: served.id, choices: [{ index, delta, logprobs: tokens.length ? logprobs(tokens) : null, finish_reason: finish }] };
      },
      whole(choices, usage) {
        return {
          id, object: 'chat.completion', created, model: served.id,
          choices: choices.map((c, index) => ({ index, message: { role: 'assistant', content: c.text }, logprobs: logprobs(c.tokens), finish_reason: c.finish })),
          usage,
        };
      },
      usageChunk(usage) {
        return { id, object: 'chat.completion.chunk', created, model: served.id, choices: [], usage };
      },
    });
    return reply;
  });

  app.post<{ Body: EmbeddingsBody }>('/v1/embeddings', { schema: { body: EmbeddingsBody } }, async (req) => {
    const body = req.body;
    const served = ctx.model(body.model);
    const input = body.input;
    const inputs: number[][] = typeof input === 'string' ? [served.encode(input)]
      : typeof input[0] === 'string' ? (input as string[]).map((s) => served.encode(s))
      : typeof input[0] === 'number' ? [input as number[]] : (input as number[][]);
    const contextLength = served.host.info!.contextLength;
    inputs.forEach((ids, i) => {
      if (ids.length === 0) throw badRequest(`input ${i} is empty`, 'input');
      if (ids.length > contextLength) throw badRequest(`input ${i} is ${ids.length} tokens; the context window is ${contextLength}`, 'input', 'context_length_exceeded');
      served.checkIds(ids, 'input');
    });
    const vectors = (await served.host.call('embed', { inputs })) as number[][];
    const tokens = inputs.reduce((s, ids) => s + ids.length, 0);
    ctx.metrics.promptTokens.inc(tokens);
    return {
      object: 'list', model: served.id,
      data: vectors.map((v, index) => ({
        object: 'embedding', index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v,
      })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });
}
