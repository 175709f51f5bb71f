// Hostile files through the page's file pickers (issue 22's discipline for the page): a truncated
// GGUF, a GGUF claiming 1e9 layers, a Hugging Face folder with a NaN weight, one whose config.json
// claims 1e9 layers, one whose tokenizer.json gives two tokens the same id, random bytes, and empty
// files. Each must end within a time bound with a clear message in the page (not a blank page, not
// an endless spinner), the renderer must stay within a memory bound, and the model opened before
// must keep working: greedy generation afterwards gives Node's text. Files are built here from the
// built-in model (test/hostile-loaders.test.ts checks the same cases against the loaders in Node).

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createWasmBackend, generateText, loadModel, loadTokenizer, saveGgufModel, setBackend } from '../src/node.js';
import { browserPeakRssMiB } from './browser/process-stats.js';
import { prng } from './fuzz-targets.js';
import { patchGgufU32 } from './hostile-helpers.js';
import { projectRoot } from './shared.js';
import { openPage, screenshotPath, skipUnlessChromium, waitForModel, type Session } from './web-helpers.js';

const skip = skipUnlessChromium();
const BUILTIN = join(projectRoot, 'models', 'builtin');
const PROMPT = 'Once upon a time, there was a little girl named Lily. She';
/** From choosing the files to the message in the page (the built-in model itself opens in ~1-2 s). */
const TIME_BOUND_MS = 15_000;
const MEMORY_BOUND_MIB = 1024;

interface Case {
  what: string;
  /** The input to use: a list of files, or a folder (the folder picker, as a user opens a Hugging Face folder). */
  input: 'open-files' | 'open-folder';
  paths: string[] | string;
  /** What the message must say (beside "could not open <label>"). */
  says: RegExp;
}

/** A copy of the built-in model's folder named `name`, with one file changed. */
function folder(root: string, name: string, file: string, change: (bytes: Buffer) => Buffer | string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(BUILTIN, f), join(dir, f));
  writeFileSync(join(dir, file), change(readFileSync(join(dir, file))));
  return dir;
}

/** safetensors bytes with the first value of the first float32 tensor set to NaN. */
function withNaN(st: Buffer): Buffer {
  const headerLength = Number(st.readBigUInt64LE(0));
  const header = JSON.parse(st.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const [name, t] = Object.entries(header).find(([k, v]) => k !== '__metadata__' && v.dtype === 'F32')!;
  assert.ok(name);
  const out = Buffer.from(st);
  out.writeFloatLE(NaN, 8 + headerLength + t.data_offsets[0]);
  return out;
}

function buildCases(root: string): Case[] {
  const m = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
  const gguf = join(root, 'builtin.gguf');
  saveGgufModel(m, gguf, { tokenizer: tok });
  m.dispose();
  const full = readFileSync(gguf);
  const truncated = join(root, 'truncated.gguf');
  writeFileSync(truncated, full.subarray(0, Math.floor(full.length * 0.6)));
  const headerOnly = join(root, 'header-only.gguf');
  writeFileSync(headerOnly, full.subarray(0, 40));
  const layers = join(root, 'layers-1e9.gguf');
  const patched = new Uint8Array(full);
  patchGgufU32(patched, 'llama.block_count', 1e9);
  writeFileSync(layers, patched);
  const rand = prng(17);
  const noise = Buffer.alloc(256 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
  writeFileSync(join(root, 'random.bin'), noise);
  writeFileSync(join(root, 'random.gguf'), Buffer.concat([Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'), noise]));
  writeFileSync(join(root, 'empty.gguf'), Buffer.alloc(0));
  writeFileSync(join(root, 'empty.bin'), Buffer.alloc(0));
  const dupTokenizer = (b: Buffer) => {
    const t = JSON.parse(b.toString('utf8'));
    t.model.vocab['zz-duplicate'] = t.model.vocab['0']; // a second token with the id of "0"
    return JSON.stringify(t);
  };
  return [
    { what: 'a truncated GGUF', input: 'open-files', paths: [truncated], says: /past the end|truncated/i },
    { what: 'a GGUF cut inside its header', input: 'open-files', paths: [headerOnly], says: /can hold|past the end|truncated/i },
    { what: 'a GGUF claiming 1e9 layers', input: 'open-files', paths: [layers], says: /layers|tensors/i },
    { what: 'a folder whose safetensors holds a NaN weight', input: 'open-folder', paths: folder(root, 'nan-weight', 'model.safetensors', withNaN), says: /NaN|finite/i },
    { what: 'a folder whose config.json claims 1e9 layers', input: 'open-folder', paths: folder(root, 'layers-1e9', 'config.json', (b) => JSON.stringify({ ...JSON.parse(b.toString('utf8')), num_hidden_layers: 1e9 })), says: /layers|tensors/i },
    { what: 'a folder whose tokenizer.json gives two tokens one id', input: 'open-folder', paths: folder(root, 'duplicate-ids', 'tokenizer.json', dupTokenizer), says: /tokenizer.*(twice|same id|duplicate|id 48)/i },
    { what: 'a folder whose config.json is empty', input: 'open-folder', paths: folder(root, 'empty-config', 'config.json', () => ''), says: /config\.json/i },
    { what: 'random bytes named .bin', input: 'open-files', paths: [join(root, 'random.bin')], says: /no model among the files/ },
    { what: 'random bytes after a GGUF magic', input: 'open-files', paths: [join(root, 'random.gguf')], says: /GGUF: .*too large|GGUF: .*can hold/ },
    { what: 'an empty .gguf', input: 'open-files', paths: [join(root, 'empty.gguf')], says: /^empty\.gguf is empty \(0 bytes\)/ },
    { what: 'an empty .bin', input: 'open-files', paths: [join(root, 'empty.bin')], says: /^empty\.bin is empty \(0 bytes\)/ },
  ];
}

/** The label the page gives a pick: the folder's name, or the files' names joined. */
const labelOf = (c: Case) => (typeof c.paths === 'string' ? c.paths.split('/').pop()! : c.paths.map((p) => p.split('/').pop()).join(' + '));

async function generated(page: Page, max: number): Promise<string> {
  await page.click('#tab-generate');
  await page.fill('#view textarea[name=prompt]', PROMPT);
  await page.fill('#view input[name=max]', String(max));
  await page.click('#view button[name=generate]');
  await page.waitForSelector(`[data-testid=gen-stats]:has-text("tokens/s")`, { timeout: 60_000 });
  return page.$$eval('#view .ttext', (els) => els.map((e) => e.textContent).join(''));
}

describe('hostile files through the page\'s file pickers', { skip }, () => {
  let s: Session, root: string, cases: Case[], expected: string;

  before(async () => {
    setBackend(await createWasmBackend({ threads: 1 }));
    root = mkdtempSync(join(tmpdir(), 'glasslm-web-hostile-'));
    cases = buildCases(root);
    expected = generateText(loadModel(BUILTIN), loadTokenizer(BUILTIN), PROMPT, { temperature: 0, maxTokens: 12 }).text;
    s = await openPage({ query: '?threads=1' });
    await waitForModel(s.page, 120_000);
  });
  after(async () => {
    await s?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('each bad file ends quickly with a clear message; the open model keeps working', { timeout: 600_000 }, async () => {
    const page = s.page;
    assert.equal(await generated(page, 12), expected, 'the built-in model generates before the bad files');
    const failures: string[] = [];
    for (const c of cases) {
      await page.click('#tab-model');
      const label = labelOf(c);
      const t0 = Date.now();
      await page.setInputFiles(`[data-testid=${c.input}]`, c.paths);
      // the message for this pick (its label), and no spinner left
      const shown = await page.waitForFunction((l) => {
        const e = document.querySelector('[data-testid=load-error]')?.textContent ?? '';
        return e.startsWith(`could not open ${l}: `) && !document.querySelector('.loading');
      }, label, { timeout: TIME_BOUND_MS, polling: 100 }).then(() => true, () => false);
      const ms = Date.now() - t0;
      const message = (await page.locator('[data-testid=load-error]').textContent().catch(() => null)) ?? '(no message)';
      const model = (await page.locator('[data-testid=model-name]').textContent()) ?? '';
      const reason = message.slice(`could not open ${label}: `.length);
      console.log(`# ${c.what}: ${ms} ms: ${message}`);
      const fail = (why: string) => failures.push(`${c.what}: ${why} (${message})`);
      if (!shown) { fail(`no message within ${TIME_BOUND_MS / 1000} s; model: ${model}`); continue; }
      if (!c.says.test(reason)) fail(`the message does not match ${c.says}`);
      if (reason.length > 400 || /\n\s+at /.test(reason)) fail('not one clear line (a stack trace?)');
      if (/undefined|null|\[object|Cannot read propert|is not a function|Invalid array length|Maximum call stack|out of memory/i.test(reason)) fail('an internal message leaked');
      if (!/the built-in model/.test(model)) fail(`the open model did not stay: ${model}`);
    }
    assert.deepEqual(failures, []);
    await page.screenshot({ path: screenshotPath('web-hostile-file.png') });
    const peak = browserPeakRssMiB(s.profile, 'renderer');
    if (peak !== undefined) assert.ok(peak < MEMORY_BOUND_MIB, `the page's renderer peaked at ${Math.round(peak)} MiB`);
    assert.equal(await generated(page, 12), expected, 'the built-in model still generates the same text after every bad file');
    assert.deepEqual(s.errors.filter((e) => !/Failed to load resource/.test(e)), [], 'no errors in the console');
  });
});
