// The web page's static site (dist/web, built by Vite from web/) and a loopback server for it.
//
// The server sends the cross-origin isolation headers (COOP/COEP) that let the page's worker run
// the WebAssembly backend on several threads, and can serve another model's files in place of the
// built-in one (a manifest at models/default.json lists them). Node only (the CLI and the tests).

import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** The project root (dist/src/cli -> ../../..). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SITE_DIR = join(PROJECT_ROOT, 'dist', 'web');

/** Newest modification time (ms) of the files under these paths. */
function newest(paths: string[]): number {
  let t = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else t = Math.max(t, s.mtimeMs);
  };
  paths.forEach(walk);
  return t;
}

/** Why the site must be (re)built, or null when dist/web is up to date with web/ and src/. */
export function siteStaleness(root = PROJECT_ROOT): string | null {
  const index = join(root, 'dist', 'web', 'index.html');
  if (!existsSync(index)) return 'the page is not built yet';
  if (!existsSync(join(root, 'web'))) return null; // an installed package ships the built page only
  const sources = newest([join(root, 'web', 'src'), join(root, 'web', 'index.html'), join(root, 'web', 'vite.config.ts'), join(root, 'src'), join(root, 'models', 'builtin')]);
  return sources > statSync(index).mtimeMs ? 'the page is older than its sources' : null;
}

/** Builds dist/web with Vite when it is missing or older than its sources. Returns what it did. */
export async function ensureSiteBuilt(root = PROJECT_ROOT, log: (s: string) => void = () => {}): Promise<string> {
  if (!siteStaleness(root)) return 'up to date';
  // one build at a time (test files run in parallel processes): a lock folder, taken atomically
  const lock = join(root, 'dist', '.web-build.lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const start = Date.now(); ;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 600_000) rmSync(lock, { recursive: true, force: true }); // left by a killed build
      if (Date.now() - start > 660_000) throw new Error(`another build of the page holds ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    const why = siteStaleness(root); // another process may have built it while we waited
    if (!why) return 'up to date';
    let vite: typeof import('vite');
    try {
      vite = await import('vite');
    } catch {
      throw new Error(`${why}, and Vite (a development dependency) is not installed: run npm install, then npm run build:web`);
    }
    log(`building the page (${why})…`);
    await vite.build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'error' });
    return 'built';
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A model's files to serve instead of the built-in one: name in the page -> path on disk. */
export interface ServedModel {
  name: string;
  files: { name: string; path: string }[];
}

/** The files of --model M (and --tokenizer T): a Hugging Face folder, a .gguf, or a llama2.c .bin with its tokenizer. */
export function modelFilesFor(model: string, tokenizer?: string): ServedModel {
  if (!existsSync(model)) throw new Error(`model '${model}' does not exist`);
  const files: { name: string; path: string }[] = [];
  if (statSync(model).isDirectory()) {
    for (const f of readdirSync(model).sort()) {
      if (/^(config\.json|tokenizer\.json|tokenizer_config\.json|.*\.safetensors|model\.safetensors\.index\.json)$/.test(f)) files.push({ name: f, path: join(model, f) });
    }
    if (!files.some((f) => f.name === 'config.json')) throw new Error(`${model} has no config.json`);
  } else {
    files.push({ name: basename(model), path: model });
    if (model.endsWith('.bin')) {
      const tok = tokenizer ?? join(dirname(model), 'tokenizer.bin');
      if (!existsSync(tok)) throw new Error(`'${model}' carries no tokenizer: give one with --tokenizer (for llama2.c, e.g. tok512.bin)`);
      files.push({ name: basename(tok) === basename(model) ? `tokenizer-${basename(tok)}` : basename(tok), path: tok });
    }
  }
  if (tokenizer && !model.endsWith('.bin')) files.push({ name: basename(tokenizer), path: tokenizer });
  return { name: basename(model), files };
}

export interface SiteServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the built site on host:port (port 0 picks a free one). isolation: send COOP/COEP (default
 * true; false serves the page as a plain static host would, where it runs on one thread).
 */
export async function serveSite(opts: { port?: number; host?: string; isolation?: boolean; model?: ServedModel; siteDir?: string } = {}): Promise<SiteServer> {
  const siteDir = opts.siteDir ?? SITE_DIR;
  if (!existsSync(join(siteDir, 'index.html'))) throw new Error(`${siteDir} holds no built page: run npm run build:web`);
  const isolation = opts.isolation ?? true;
  const headers = (res: ServerResponse) => {
    if (isolation) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };
  const statics = sirv(siteDir, { dev: true, etag: true, setHeaders: (res) => headers(res) });
  const model = opts.model;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (model && url === '/models/default.json') {
      headers(res);
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(JSON.stringify({ name: model.name, files: model.files.map((f) => `served/${encodeURIComponent(f.name)}`) }));
      return;
    }
    const m = /^\/models\/served\/([^/]+)$/.exec(url);
    const file = m && model?.files.find((f) => f.name === decodeURIComponent(m[1]));
    if (file) {
      headers(res);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(statSync(file.path).size));
      createReadStream(file.path).pipe(res);
      return;
    }
    statics(req, res, () => {
      headers(res);
      res.statusCode = 404;
      res.end('not found');
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
