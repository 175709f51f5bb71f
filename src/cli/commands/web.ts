// `glasslm web`: serves the web page on loopback with the headers its threads need, running the
// model in the browser (the built-in one, or --model M's files).

import { ensureSiteBuilt, modelFilesFor, serveSite } from '../web-site.js';
import { numberOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'serve the web page (the model runs in your browser) on http://127.0.0.1:8080';

const HELP = `usage: glasslm web [options]

Serves the page on 127.0.0.1 with the cross-origin isolation headers (COOP/COEP) that let the
model run on several threads in the browser. The model runs in the page, not in this process.
The page is built (npm run build:web) when it is missing or older than its sources.

  --model M          model folder, .gguf or llama2.c .bin to open in the page (default: the built-in model)
  --tokenizer T      its tokenizer file (llama2.c: e.g. tok512.bin)
  --port P           port (default 8080; 0 picks a free one)
  --no-isolation     serve without COOP/COEP (the page then runs on one thread and says so)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { model: { type: 'string' }, tokenizer: { type: 'string' }, port: { type: 'string' }, 'no-isolation': { type: 'boolean' } }, HELP, { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  const port = numberOption('port', values.port, 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number 0..65535, got ${values.port}`);
  const model = values.model ? modelFilesFor(values.model, values.tokenizer) : undefined;
  await ensureSiteBuilt(undefined, (s) => console.error(s));
  const server = await serveSite({ port, isolation: !values['no-isolation'], model });
  console.log(`glasslm web: ${server.url}  (${model ? `model ${model.name}` : 'the built-in model'}; Ctrl-C stops)`);
  await new Promise<void>((done) => {
    const stop = () => { server.close().then(done); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
