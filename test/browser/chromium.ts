// Helpers for tests and benchmarks that run glasslm in Debian's Chromium (reusable by web/ tests):
//
//   const site = await bundleSite(dir, { 'decode.js': 'dist/test/browser/decode-worker.js' }); // esbuild, + kernel worker and .wasm
//   const server = await serveStatic(dir, { isolated: true });   // COOP/COEP headers: threads
//   const browser = await launchChromium();
//   const page = await browser.newPage(); await page.goto(server.url + '/page.html');
//   …; await browser.close(); await server.close();
//
// Chromium is driven by playwright-core through its executablePath (Playwright's own browser
// download is not reachable here); scripts/install-browser.sh installs /usr/bin/chromium.

import { existsSync, readFileSync, statSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import * as esbuild from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { projectRoot } from '../shared.js';

export const CHROMIUM_PATH = process.env.GLASSLM_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a headless Chromium in a container: no sandbox, no GPU, nothing reaching the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A `skip` option for node:test: a message when Chromium is missing, false when present. */
export function skipUnlessChromium(): string | false {
  return existsSync(CHROMIUM_PATH) ? false : `skipped: ${CHROMIUM_PATH} is absent (sh scripts/install-browser.sh installs Debian's chromium)`;
}

/** Starts headless Chromium (close it with browser.close()). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the files under root on 127.0.0.1 (a free port). isolated: every response carries
 * Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, which
 * make the page cross-origin isolated (SharedArrayBuffer, so the backend's threads).
 */
export async function serveStatic(root: string, opts: { isolated: boolean }): Promise<StaticServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (opts.isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    const path = normalize(join(base, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (path !== base && !path.startsWith(base + sep)) {
      res.writeHead(403, headers).end('outside the served folder');
      return;
    }
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!existsSync(file)) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * Bundles browser entry points (name in outDir -> compiled JS path relative to the project) with
 * esbuild for the browser, and puts beside them what the wasm backend loads: the kernel worker
 * (glasslm-kernel-worker.js) and the four .wasm builds (in wasm/). Pass createWasmBackend
 * { wasm: '<site>/wasm/', workerUrl: '<site>/glasslm-kernel-worker.js' } in the page's code.
 */
export async function bundleSite(outDir: string, entries: Record<string, string>): Promise<void> {
  mkdirSync(join(outDir, 'wasm'), { recursive: true });
  const all = { ...entries, 'glasslm-kernel-worker.js': 'dist/src/backend/wasm/worker.js' };
  for (const [name, entry] of Object.entries(all)) {
    await esbuild.build({
      entryPoints: [join(projectRoot, entry)], bundle: true, platform: 'browser', format: 'esm',
      target: 'chrome120', outfile: join(outDir, name), logLevel: 'error',
    });
  }
  const wasmDir = join(projectRoot, 'src', 'backend', 'wasm');
  for (const f of readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(outDir, 'wasm', f));
}
