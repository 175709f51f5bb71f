// In-browser greedy decode (headless Chromium, the page's worker) beside Node on the same model,
// same machine, same run; and the time from opening the page to the first generated token.
// Prints one JSON line. usage: node dist/bench/web-decode.js [--tokens 128]

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWasmBackend, generateText, loadModel, loadTokenizer, setBackend } from '../src/node.js';
import { openPage, waitForModel } from '../test/web-helpers.js';
import { projectRoot, sharedPath } from '../test/shared.js';

const { values } = parseArgs({ options: { tokens: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.tokens ?? 128);
/** Node and the page take turns this many times; the best of each is reported (the machine is shared). */
const ROUNDS = Number(values.rounds ?? 3);
const PROMPT = 'Once upon a time';

/** Node: greedy tokens/s after the first token (the page reports the same measure). */
function nodeRate(model: string, tokenizer: string, prompt: string): number {
  const m = loadModel(model), t = loadTokenizer(tokenizer);
  generateText(m, t, prompt, { temperature: 0, maxTokens: 8 }); // warm-up
  let first = 0, count = 0;
  const steps = generateText(m, t, prompt, { temperature: 0, maxTokens: N, stopAtEos: false }, () => { if (count++ === 0) first = performance.now(); });
  return (steps.tokens.length - 1) / ((performance.now() - first) / 1000);
}

async function pageRate(page: import('playwright-core').Page, prompt: string): Promise<number> {
  await page.click('#tab-generate');
  await page.fill('#view textarea[name=prompt]', prompt);
  await page.fill('#view input[name=max]', '8');
  await page.click('#view button[name=generate]'); // warm-up
  await page.waitForSelector('[data-testid=gen-stats]:has-text("tokens/s")', { timeout: 120_000 });
  await page.fill('#view input[name=max]', String(N));
  await page.click('#view button[name=generate]');
  await page.waitForSelector(`[data-testid=gen-stats]:has-text("${N} tokens,")`, { timeout: 300_000 });
  const stats = (await page.locator('[data-testid=gen-stats]').textContent())!;
  return Number(/([\d.]+) tokens\/s/.exec(stats)![1]);
}

/** Node and the page in turns; the best of each. */
async function compare(page: import('playwright-core').Page, model: string, tokenizer: string, prompt: string): Promise<[number, number]> {
  let node = 0, browser = 0;
  for (let r = 0; r < ROUNDS; r++) {
    node = Math.max(node, nodeRate(model, tokenizer, prompt));
    browser = Math.max(browser, await pageRate(page, prompt));
  }
  return [node, browser];
}

setBackend(await createWasmBackend({ threads: 1 }));
const builtin = join(projectRoot, 'models', 'builtin');
const out: Record<string, unknown> = { tokens: N, threads: 1, rounds: ROUNDS };

const s = await openPage({ query: '?threads=1' });
try {
  await waitForModel(s.page, 120_000);
  await s.page.click('#tab-generate');
  await s.page.fill('#view input[name=max]', '1');
  await s.page.click('#view button[name=generate]');
  await s.page.waitForSelector('#view .ttext', { timeout: 120_000 });
  // from the page's navigation start (performance.now() = 0) to the marks the page sets
  const mark = (name: string) => s.page.evaluate((n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN, name);
  out.page_open_to_model_s = (await mark('glasslm-model-open')) / 1000;
  out.page_open_to_first_token_s = (await mark('glasslm-first-token')) / 1000;
  await s.page.waitForSelector('[data-testid=gen-stats]:has-text("tokens/s")');
  [out.node_builtin_tokens_per_s, out.browser_builtin_tokens_per_s] = await compare(s.page, builtin, builtin, PROMPT);
  const dir = sharedPath('data', 'models', 'stories260K');
  if (dir && existsSync(join(dir, 'stories260K.bin'))) {
    await s.page.click('#tab-model');
    await s.page.setInputFiles('[data-testid=open-files]', [join(dir, 'stories260K.bin'), join(dir, 'tok512.bin')]);
    await s.page.waitForSelector('[data-testid=model-name]:has-text("stories260K.bin")', { timeout: 60_000 });
    [out.node_stories260k_tokens_per_s, out.browser_stories260k_tokens_per_s] = await compare(s.page, join(dir, 'stories260K.bin'), join(dir, 'tok512.bin'), '');
  }
} finally {
  await s.close();
}
console.log(JSON.stringify(out));
