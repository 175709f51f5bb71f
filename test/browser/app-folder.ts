// A throwaway app that imports glasslm as a dependency would (for the bundler tests): its source
// files in a temporary folder, with node_modules/glasslm linked to this checkout, as
// `npm install ../glasslm` links it. And the result such an app leaves in its page.

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { projectRoot } from '../shared.js';

/** Writes `files` (name → text) into a new temporary folder that has glasslm in node_modules; returns the folder. */
export function makeAppFolder(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(projectRoot, join(dir, 'node_modules', 'glasslm'), 'dir');
  return dir;
}

/** Opens `url`, waits for the app to set globalThis.glasslmResult, and returns it with the page's uncaught errors. */
export async function appResult<T>(browser: Browser, url: string, timeout = 240_000): Promise<{ result: T; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { glasslmResult?: unknown }).glasslmResult !== undefined, null, { timeout, polling: 200 });
    const result = await page.evaluate(() => (globalThis as unknown as { glasslmResult: unknown }).glasslmResult) as T;
    return { result, errors };
  } finally {
    await page.close();
  }
}
