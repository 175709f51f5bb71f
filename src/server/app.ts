// The HTTP server (Fastify): safety first (API key, body limit, CORS only when asked, OpenAI error
// JSON for every failure), then health, metrics, tokenizing, the OpenAI routes and the inspection
// routes. The models run in worker threads (model-host.ts); nothing here does model math.

import { PassThrough } from 'node:stream';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiKey } from './auth.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import { registerInspectRoutes } from './inspect-routes.js';
import { Metrics } from './metrics.js';
import { type RouteContext, registerOpenAiRoutes, streamedReplies } from './openai-routes.js';
import { DetokenizeBody, TokenizeBody } from './schemas.js';
import type { ServedModel } from './served-model.js';

export interface AppOptions {
  models: ServedModel[];
  parallel: number;
  maxQueue: number;
  apiKey?: string;
  /** Allowed origin for CORS; undefined: no CORS headers at all. */
  cors?: string;
  /** Largest request body in bytes (413 above). */
  bodyLimit: number;
  /** Seconds a generation may take (504 after). */
  requestTimeout: number;
  /** Seconds a request body may take to arrive (408 after; a slow or stalled client cannot hold a connection). Default 30. */
  readTimeout?: number;
}

export function buildApp(opts: AppOptions): { app: FastifyInstance; metrics: Metrics } {
  const models = new Map(opts.models.map((m) => [m.id, m]));
  const sum = (f: (m: ServedModel) => number) => opts.models.reduce((s, m) => s + f(m), 0);
  const metrics = new Metrics(() => sum((m) => Math.max(0, m.host.outstanding - opts.parallel)), () => sum((m) => m.host.running));
  const readMs = (opts.readTimeout ?? 30) * 1000;
  const app = Fastify({
    bodyLimit: opts.bodyLimit,
    logger: false,

    // types are checked, not coerced ("12" is not a number), and unknown fields are refused
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const key = opts.apiKey === undefined ? undefined : new ApiKey(opts.apiKey);

  if (opts.cors !== undefined) void app.register(cors, { origin: opts.cors === '*' ? '*' : opts.cors.split(','), methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['authorization', 'content-type'] });

  app.addHook('onRequest', async (req) => {
    if (key && req.url !== '/health' && req.method !== 'OPTIONS' && !key.accepts(req.headers.authorization)) {
      throw new ApiError(401, 'missing or wrong API key: send Authorization: Bearer <key>', 'invalid_request_error', null, 'invalid_api_key');
    }
  });
  // the body must arrive within readMs: else 408 (OpenAI error JSON) and the connection closes
  app.addHook('preParsing', async (req, reply, payload) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return payload; // no body is read
    const body = new PassThrough();
    body.on('error', () => {}); // reported through the parser (a 408), never as an uncaught error
    const timer = setTimeout(() => {
      payload.unpipe(body);
      reply.header('connection', 'close');
      body.destroy(new ApiError(408, `the request body did not arrive within ${readMs / 1000} s`, 'invalid_request_error', null, 'request_timeout'));
    }, readMs);
    const clear = () => clearTimeout(timer);
    body.on('end', clear);
    body.on('close', clear);
    reply.raw.on('close', clear); // answered without reading the body (a 401, a 404)
    payload.on('error', (err) => body.destroy(err));
    payload.pipe(body);
    return body;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (streamedReplies.has(reply.raw)) return; // counted by its route (Fastify runs this hook for hijacked replies too)
    metrics.requests.inc({ route: req.routeOptions.url ?? 'unknown', status: reply.statusCode });
  });
  // JSON only: Fastify also parses text/plain by default, which would turn a wrong content type into a schema error
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, _req, reply) => {
    // a body nested deeper than the parser or validator can recurse is the client's error, not ours
    const deep = err instanceof RangeError && /call stack/i.test(err.message);
    const e = deep ? new ApiError(400, 'the request body is nested too deeply', 'invalid_request_error', null, 'invalid_json') : toApiError(err);
    void reply.code(e.status).send(errorBody(e));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody(new ApiError(404, `no route ${req.method} ${req.url.split('?')[0]}`, 'invalid_request_error', null, 'not_found')));
  });

  const ctx: RouteContext = {
    models, metrics, parallel: opts.parallel, maxQueue: opts.maxQueue, deadlineMs: opts.requestTimeout * 1000,
    model(name) {
      const m = name === undefined ? opts.models[0] : models.get(name);
      if (!m) throw new ApiError(404, `the model '${name!.length > 100 ? `${name!.slice(0, 100)}…` : name}' does not exist (this server has ${[...models.keys()].join(', ')})`, 'invalid_request_error', 'model', 'model_not_found');
      if (m.host.failure !== undefined) throw new ApiError(500, `the model '${m.id}' failed: ${m.host.failure}`, 'server_error');
      if (!m.host.info) throw new ApiError(503, `the model '${m.id}' is still loading`, 'server_error', null, 'model_loading');
      return m;
    },
  };

  app.get('/health', async (_req, reply) => {
    const failed = opts.models.find((m) => m.host.failure !== undefined);
    if (failed) return reply.code(503).send({ status: 'error', model: failed.id, message: failed.host.failure });
    const loading = opts.models.filter((m) => !m.host.info).map((m) => m.id);
    if (loading.length > 0) return reply.code(503).send({ status: 'loading', models: loading });
    return { status: 'ok', models: opts.models.map((m) => ({ id: m.id, ...m.host.info, running: m.host.running, queued: Math.max(0, m.host.outstanding - opts.parallel) })) };
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.post<{ Body: TokenizeBody }>('/tokenize', { schema: { body: TokenizeBody } }, async (req) => {
    const served = ctx.model(req.body.model);
    const tokens = req.body.add_special_tokens === false ? served.encode(req.body.prompt) : served.encodePrompt(req.body.prompt);
    return { tokens, count: tokens.length, max_model_len: served.host.info!.contextLength };
  });

  app.post<{ Body: DetokenizeBody }>('/detokenize', { schema: { body: DetokenizeBody } }, async (req) => {
    const served = ctx.model(req.body.model);
    served.checkIds(req.body.tokens, 'tokens');
    return { prompt: served.tokenizer.decode(req.body.tokens) };
  });

  registerOpenAiRoutes(app, ctx);
  registerInspectRoutes(app, ctx);
  return { app, metrics };
}
