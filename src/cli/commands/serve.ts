// `glasslm serve`: an OpenAI-compatible HTTP server (src/server) for the models named on the
// command line. Parses options, starts the server, and stops it cleanly on SIGTERM / SIGINT.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { buildApp } from '../../server/app.js';
import { HTTP_NICE_RANGE, lowerHttpThreadPriority } from '../../server/http-priority.js';
import { ServedModel } from '../../server/served-model.js';
import { numberOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'serve models over an OpenAI-compatible HTTP API (completions, chat, embeddings, inspection)';

const HELP = `usage: glasslm serve [options]

  --model M            model folder, .gguf or llama2.c .bin (repeatable; default: the built-in model).
                       Served as its folder/file name ('glasslm-builtin' for the built-in model);
                       requests can only choose among these, never name a path.
  --tokenizer T        tokenizer file or folder (default: the model's own; with one --model only)
  --dtype q8_0|f32     run the matrices as int8 or float32 (default: as stored)
  --host H             address to listen on (default 127.0.0.1; anything else warns without a key)
  --port P             port (default 8080; 0 = one the system picks, printed at start)
  --api-key K          require Authorization: Bearer K (or set GLASSLM_API_KEY)
  --api-key-file F     read the key from a file (first line)
  --parallel N         sequences decoded together in one batched forward (default 4)
  --max-queue N        sequences that may wait for a free slot before 429 (default 64)
  --ctx N              context window to serve (default and most: the model's)
  --cors ORIGIN        allow browser pages from ORIGIN (comma-separated, or *); default: no CORS
  --allow-special      encode special-token text in requests as special tokens (default: plain text)
  --body-limit BYTES   largest request body (default 1048576; 413 above)
  --request-timeout S  seconds a generation may take (default 300; 504 after)
  --read-timeout S     seconds a request body may take to arrive (default 30; 408 after)
  --http-nice N        Linux: run the HTTP thread at nice N (0-19, default 10) so that it does not
                       take a core from the compute threads in the middle of a step; 0 leaves it

global options (before or after the command): --backend auto|cpu|wasm --threads N`;

/** True for addresses that only this machine can reach. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export async function run(argv: string[], globals: { backend?: string; threads?: number } = {}): Promise<number> {
  const parsed = parseCommand(argv, {
    model: { type: 'string', multiple: true }, tokenizer: { type: 'string' }, dtype: { type: 'string' },
    host: { type: 'string' }, port: { type: 'string' }, 'api-key': { type: 'string' }, 'api-key-file': { type: 'string' },
    parallel: { type: 'string' }, 'max-queue': { type: 'string' }, ctx: { type: 'string' }, cors: { type: 'string' },
    'allow-special': { type: 'boolean' }, 'body-limit': { type: 'string' }, 'request-timeout': { type: 'string' }, 'read-timeout': { type: 'string' },
    'http-nice': { type: 'string' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  const whole = (name: string, value: string | undefined, fallback: number, min: number) => {
    const n = numberOption(name, value, fallback);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got '${value}'`);
    return n;
  };
  const host = v.host ?? '127.0.0.1';
  const port = whole('port', v.port, 8080, 0);
  if (port > 65535) throw new Error(`--port must be at most 65535, got ${port}`);
  const parallel = whole('parallel', v.parallel, 4, 1);
  const maxQueue = whole('max-queue', v['max-queue'], 64, 0);
  const ctx = v.ctx === undefined ? undefined : whole('ctx', v.ctx, 0, 2);
  const bodyLimit = whole('body-limit', v['body-limit'], 1 << 20, 1024);
  const requestTimeout = numberOption('request-timeout', v['request-timeout'], 300);
  if (!(requestTimeout > 0 && requestTimeout <= 86400)) throw new Error(`--request-timeout must be a number of seconds > 0 (at most a day), got '${v['request-timeout']}'`);
  const readTimeout = numberOption('read-timeout', v['read-timeout'], 30);
  if (!(readTimeout > 0 && readTimeout <= 3600)) throw new Error(`--read-timeout must be a number of seconds > 0 (at most an hour), got '${v['read-timeout']}'`);
  if (v['api-key'] !== undefined && v['api-key-file'] !== undefined) throw new Error('give --api-key or --api-key-file, not both');
  let apiKey = v['api-key'] ?? process.env.GLASSLM_API_KEY;
  if (v['api-key-file'] !== undefined) apiKey = readFileSync(v['api-key-file'], 'utf8').split('\n')[0].trim();
  if (apiKey !== undefined && apiKey.length === 0) throw new Error('the API key is empty');
  const httpNice = whole('http-nice', v['http-nice'], 10, HTTP_NICE_RANGE[0]);
  if (httpNice > HTTP_NICE_RANGE[1]) throw new Error(`--http-nice must be at most ${HTTP_NICE_RANGE[1]}, got ${httpNice}`);
  const paths = v.model ?? [undefined];
  if (v.tokenizer !== undefined && paths.length > 1) throw new Error('--tokenizer goes with a single --model');

  const models = paths.map((modelPath) => new ServedModel({
    modelPath, tokenizerPath: v.tokenizer, dtype: v.dtype, backend: globals.backend, threads: globals.threads, parallel, ctx, allowSpecial: v['allow-special'] ?? false,
  }));
  const ids = models.map((m) => m.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`two models would be served as '${dup}': give files with different names`);
  // the model workers exist now (each ServedModel started its thread) and keep the normal priority
  const priorityNote = lowerHttpThreadPriority(httpNice);
  if (!isLoopback(host) && apiKey === undefined) console.error(`warning: listening on ${host} without an API key: anyone who can reach this address can use the models (set --api-key)`);

  const { app } = buildApp({ models, parallel, maxQueue, apiKey, cors: v.cors, bodyLimit, requestTimeout, readTimeout });
  const address = await app.listen({ host, port });
  console.log(`glasslm serve: listening on ${address} (models: ${ids.join(', ')}; loading${priorityNote ? `; ${priorityNote}` : ''})`);
  // SIGTERM / SIGINT: stop accepting, let running generations finish, stop the workers, exit 0.
  // When no model loads there is nothing to serve: stop and exit 1, as a supervisor expects.
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (why: string, code = 0) => {
      if (stopping) return;
      stopping = true;
      console.log(`glasslm serve: ${why}`);
      const closing = app.close();
      await Promise.all(models.map((m) => m.host.close()));
      await closing;
      console.log('glasslm serve: stopped');
      resolve(code);
    };
    let failed = 0;
    for (const m of models) {
      m.host.ready.then(
        (info) => console.log(`glasslm serve: ${m.id} ready (${info.parameters.toLocaleString('en')} parameters, context ${info.contextLength}, ${parallel} parallel; ${info.backend})`),
        (err: Error) => {
          console.error(`glasslm serve: ${m.id} failed to load: ${err.message}`);
          if (++failed === models.length) void stop(models.length === 1 ? 'stopping: the model could not be loaded' : 'stopping: none of the models could be loaded', 1);
        },
      );
    }
    process.once('SIGTERM', () => void stop('SIGTERM: finishing running requests'));
    process.once('SIGINT', () => void stop('SIGINT: finishing running requests'));
  });
}
