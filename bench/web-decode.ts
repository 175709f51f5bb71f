// In-browser greedy decode (headless Chromium, the page's worker) beside Node on the same model,
// same machine, same run; and the time from opening the page to the first generated token.
// Prints one JSON line. usage: node dist/bench/web-decode.js [--tokens 240] [--stories-tokens 500] [--rounds 5]
//
// Two measures per model. Wall clock: tokens/s after the first token, the best of the rounds
// (the page's own figure, as its Generate view shows it). CPU time: the page worker thread's CPU
// time per generated token beside Node's thread's (Linux /proc), which a loaded machine does not
// move; beside it, the CPU time per token of the page's main thread (drawing) and of every other
// Chromium thread (the main thread, raster, compositor, GPU process, browser process: all that the
// page costs beyond the model's worker). Chromium sets its threads' nice
// levels itself (its worker to 0 under `nice -n 10`), so before each timed run every Chromium
// thread is given this process's nice level: both sides then compete for the CPUs alike.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createWasmBackend, generateText, loadModel, loadTokenizer, setBackend } from '../src/node.js';
import { openPage, waitForModel, type Session } from '../test/web-helpers.js';
import { projectRoot, sharedPath } from '../test/shared.js';
import { browserCpuNs, browserThreadCpuNs, matchBrowserNice, ownThreadCpuNs } from '../test/browser/process-stats.js';

const { values } = parseArgs({ options: { tokens: { type: 'string' }, 'stories-tokens': { type: 'string' }, rounds: { type: 'string' } } });
/**
 * Runs as long as the context windows allow (256 and 512 positions): a run of the page has fixed
 * costs (the click, the redraws that start and end it) that a short run (128 tokens of the
 * built-in model are ~0.1 s on an idle machine) would count as decoding speed.
 */
const N = Number(values.tokens ?? 240);
const N_STORIES = Number(values['stories-tokens'] ?? 500);
/** The page's Generate view asks for this many alternatives per token (to show on hover); Node does the same work. */
const ALTERNATIVES = 5;
/** Node and the page take turns this many times; the best of each is reported (the machine is shared). */
const ROUNDS = Number(values.rounds ?? 5);
const PROMPT = 'Once upon a time';

interface Rate { tokensPerS: number; cpuMsPerToken?: number; mainCpuMsPerToken?: number; otherCpuMsPerToken?: number }

/** Node: greedy tokens/s after the first token (the page reports the same measure), and CPU per token. */
function nodeRate(model: string, tokenizer: string, prompt: string, n: number): Rate {
  const m = loadModel(model), t = loadTokenizer(tokenizer);
  generateText(m, t, prompt, { temperature: 0, maxTokens: 8, alternatives: ALTERNATIVES }); // warm-up
  let first = 0, count = 0;
  const c0 = ownThreadCpuNs();
  const steps = generateText(m, t, prompt, { temperature: 0, maxTokens: n, stopAtEos: false, alternatives: ALTERNATIVES }, () => { if (count++ === 0) first = performance.now(); });
  const c1 = ownThreadCpuNs();
  m.dispose();
  return { tokensPerS: (steps.tokens.length - 1) / ((performance.now() - first) / 1000), cpuMsPerToken: c0 === undefined ? undefined : (c1! - c0) / 1e6 / steps.tokens.length };
}

/**
 * Waits until the stats say n tokens: one call that resolves in the page (a MutationObserver on
 * the stats line), not polling. Polling from here costs the page's main thread CPU per call (each
 * Playwright query runs script in the page), which the benchmark would count as the page's own.
 */
async function waitForStats(page: Page, n: number, timeout: number): Promise<string> {
  const done = page.evaluate((n) => new Promise<string>((resolve) => {
    const el = document.querySelector('[data-testid=gen-stats]')!;
    const check = () => {
      const t = el.textContent ?? '';
      if (!t.startsWith(`${n} tokens,`)) return false;
      observer.disconnect();
      resolve(t);
      return true;
    };
    const observer = new MutationObserver(check);
    if (!check()) observer.observe(el, { subtree: true, childList: true, characterData: true });
  }), n);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`the page did not finish ${n} tokens in ${timeout / 1000} s`)), timeout); });
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function pageRate(s: Session, prompt: string, n: number): Promise<Rate> {
  const page = s.page;
  await page.click('#tab-generate');
  await page.fill('#view textarea[name=prompt]', prompt);
  await page.fill('#view input[name=max]', '8');
  await page.click('#view button[name=generate]'); // warm-up
  await waitForStats(page, 8, 120_000);
  await page.fill('#view input[name=max]', String(n));
  matchBrowserNice(s.profile); // Chromium gives its threads its own nice levels: the same as Node's here
  const cpu = () => [browserThreadCpuNs(s.profile, 'DedicatedWorker'), browserThreadCpuNs(s.profile, 'chromium', 'renderer'), browserCpuNs(s.profile)];
  const [w0, m0, a0] = cpu();
  await page.click('#view button[name=generate]');
  const stats = await waitForStats(page, n, 300_000);
  const [w1, m1, a1] = cpu();
  return {
    tokensPerS: Number(/([\d.]+) tokens\/s/.exec(stats)![1]),
    cpuMsPerToken: w0 === undefined ? undefined : (w1! - w0) / 1e6 / n,
    mainCpuMsPerToken: m0 === undefined ? undefined : (m1! - m0!) / 1e6 / n,
    otherCpuMsPerToken: a0 === undefined ? undefined : (a1! - a0 - (w1! - w0!)) / 1e6 / n,
  };
}

const round3 = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);

/** Node and the page in turns; the best wall-clock rate of each, and the least CPU per token of each. */
async function compare(s: Session, model: string, tokenizer: string, prompt: string, n: number, key: string): Promise<void> {
  const node: Rate[] = [], web: Rate[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    node.push(nodeRate(model, tokenizer, prompt, n));
    web.push(await pageRate(s, prompt, n));
  }
  const best = (rs: Rate[]) => Math.max(...rs.map((r) => r.tokensPerS));
  const least = (rs: Rate[], f: (r: Rate) => number | undefined) => (rs.every((r) => f(r) !== undefined) ? Math.min(...rs.map((r) => f(r)!)) : undefined);
  out[`node_${key}_tokens_per_s`] = Math.round(best(node) * 10) / 10;
  out[`browser_${key}_tokens_per_s`] = Math.round(best(web) * 10) / 10;
  out[`${key}_wall_ratio`] = Math.round((best(web) / best(node)) * 100) / 100;
  const nc = least(node, (r) => r.cpuMsPerToken), wc = least(web, (r) => r.cpuMsPerToken);
  out[`node_${key}_cpu_ms_per_token`] = round3(nc);
  out[`browser_${key}_worker_cpu_ms_per_token`] = round3(wc);
  out[`browser_${key}_main_thread_cpu_ms_per_token`] = round3(least(web, (r) => r.mainCpuMsPerToken));
  out[`browser_${key}_other_threads_cpu_ms_per_token`] = round3(least(web, (r) => r.otherCpuMsPerToken));
  if (nc !== undefined && wc !== undefined) out[`${key}_cpu_ratio`] = Math.round((nc / wc) * 100) / 100; // > 1: the page's worker spends less CPU per token
  out[`${key}_tokens`] = n;
}

setBackend(await createWasmBackend({ threads: 1 }));
const builtin = join(projectRoot, 'models', 'builtin');
const out: Record<string, unknown> = { threads: 1, rounds: ROUNDS };

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
  await compare(s, builtin, builtin, PROMPT, N, 'builtin');
  const dir = sharedPath('data', 'models', 'stories260K');
  if (dir && existsSync(join(dir, 'stories260K.bin'))) {
    await s.page.click('#tab-model');
    await s.page.setInputFiles('[data-testid=open-files]', [join(dir, 'stories260K.bin'), join(dir, 'tok512.bin')]);
    await s.page.waitForSelector('[data-testid=model-name]:has-text("stories260K.bin")', { timeout: 60_000 });
    await compare(s, join(dir, 'stories260K.bin'), join(dir, 'tok512.bin'), '', N_STORIES, 'stories260k');
  }
} finally {
  await s.close();
}
console.log(JSON.stringify(out));
