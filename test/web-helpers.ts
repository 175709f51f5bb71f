// Driving Debian's Chromium (/usr/bin/chromium) with playwright-core for the web page's tests
// (path, flags and skip from test/browser/chromium.ts): a fresh --user-data-dir per browser, the page built on demand, and a loopback server with or without
// the cross-origin isolation headers. Tests skip with a clear message where Chromium is absent.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './shared.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureSiteBuilt, serveSite, type ServedModel, type SiteServer } from '../src/cli/web-site.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, skipUnlessChromium } from './browser/chromium.js';

export { skipUnlessChromium };

export interface Session {
  context: BrowserContext;
  page: Page;
  server: SiteServer;
  /** The browser's profile folder (its --user-data-dir: names the browser's processes). */
  profile: string;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Builds the page if needed, serves it, and opens it in a fresh headless Chromium profile. */
export async function openPage(opts: { isolation?: boolean; model?: ServedModel; viewport?: { width: number; height: number }; query?: string } = {}): Promise<Session> {
  await ensureSiteBuilt();
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'glasslm-chromium-'));
  const server = await serveSite({ port: 0, isolation: opts.isolation, model: opts.model });
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, viewport: opts.viewport ?? { width: 1280, height: 800 }, acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url + (opts.query ?? ''));
    const ctx = context;
    return {
      context: ctx, page, server, errors, profile,
      async close() {
        await ctx.close();
        await server.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await context?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Waits until the page has opened its model (or shows an error, which fails). */
export async function waitForModel(page: Page, timeout = 60_000): Promise<string> {
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid=model-name]')?.textContent ?? '';
    return t.startsWith('model:') || document.querySelector('[data-testid=load-error]');
  }, undefined, { timeout });
  const err = await page.locator('[data-testid=load-error]').count();
  if (err) throw new Error(`the page failed to open its model: ${await page.locator('[data-testid=load-error]').textContent()}`);
  return (await page.locator('[data-testid=model-name]').textContent()) ?? '';
}

/**
 * Where the page tests save screenshots: dist/screenshots (not tracked), or the folder named by
 * GLASSLM_SCREENSHOTS (`GLASSLM_SCREENSHOTS=docs/img` refreshes the README's and docs' pictures).
 */
export function screenshotPath(file: string): string {
  return join(projectRoot, process.env.GLASSLM_SCREENSHOTS ?? join('dist', 'screenshots'), file);
}

export type { Browser, Page };
