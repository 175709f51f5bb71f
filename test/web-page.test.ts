// The web page in headless Chromium (Debian's, driven by playwright-core): every view's numbers
// against the library's in Node on the same model, a llama2.c model opened through the file
// input, training in the tab, bad files, phone width, keyboard, and the single-thread fallback
// without COOP/COEP. Screenshots go to dist/screenshots/web-*.png (GLASSLM_SCREENSHOTS=docs/img for the docs' copies).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createWasmBackend, generateText, inspect, loadModel, loadTokenizer, saveGgufModel, setBackend, type Model, type Tokenizer } from '../src/node.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';
import { openPage, screenshotPath, skipUnlessChromium, waitForModel, type Session } from './web-helpers.js';

const skip = skipUnlessChromium();
const BUILTIN = join(projectRoot, 'models', 'builtin');
const PROMPT = 'Once upon a time, there was a little girl named Lily. She';
const shot = (page: Page, name: string) => page.screenshot({ path: screenshotPath(`web-${name}.png`) });

/** Switches to a view by its tab. */
async function tab(page: Page, id: string): Promise<void> {
  await page.click(`#tab-${id}`);
  await page.waitForSelector(`[data-view=${id}]`);
}

/** Sets the view's prompt and presses its run button; waits until the view is idle. */
async function runWith(page: Page, prompt: string | null, button = 'button[type=submit]'): Promise<void> {
  if (prompt !== null) await page.fill('#view textarea[name=prompt]', prompt);
  await page.click(`#view ${button}`);
  await page.waitForFunction(() => !document.querySelector('#view [aria-busy=true]'), undefined, { timeout: 60_000 });
  const err = await page.locator('#view .error').count();
  if (err) throw new Error(`the view shows an error: ${await page.locator('#view .error').first().textContent()}`);
}

/** The rows of a numbers table, as cell texts. */
async function table(page: Page, testid: string): Promise<string[][]> {
  return page.$$eval(`[data-testid=${testid}] tbody tr`, (rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent ?? '')));
}

describe('the web page in Chromium', { skip }, () => {
  let s: Session;
  let model: Model;
  let tok: Tokenizer;

  before(async () => {
    setBackend(await createWasmBackend({ threads: 1 }));
    model = loadModel(BUILTIN);
    tok = loadTokenizer(BUILTIN);
    s = await openPage({ query: '?threads=1' }); // one thread: the machine running the tests is shared
    await waitForModel(s.page);
  });
  after(async () => {
    await s?.close();
  });

  test('opens the built-in model and describes it', async () => {
    const facts = await table(s.page, 'model-info').catch(() => []);
    const text = await s.page.locator('[data-testid=model-info]').textContent();
    assert.match(text!, /3,148,224/);
    assert.match(text!, /6 query, 2 key\/value/);
    assert.match(text!, /4,096 tokens/);
    void facts;
    await shot(s.page, 'model');
  });

  test('the tabs work from the keyboard', async () => {
    await s.page.focus('#tab-model');
    await s.page.keyboard.press('ArrowRight');
    assert.equal(await s.page.evaluate(() => document.activeElement?.id), 'tab-generate');
    assert.equal(await s.page.getAttribute('#tab-generate', 'aria-selected'), 'true');
  });

  test('greedy generation gives the same text as the library in Node', async () => {
    await tab(s.page, 'generate');
    await s.page.fill('#view textarea[name=prompt]', PROMPT);
    await s.page.fill('#view input[name=max]', '30');
    await s.page.click('#view button[name=generate]');
    await s.page.waitForSelector('[data-testid=gen-stats]:has-text("tokens/s")', { timeout: 60_000 });
    const got = (await s.page.$$eval('#view .ttext', (els) => els.map((e) => e.textContent).join('')));
    const want = generateText(model, tok, PROMPT, { temperature: 0, maxTokens: 30 }).text;
    assert.equal(got, want);
    // Stop ends a long generation early. Clicked from the page itself as soon as Stop is enabled:
    // on an idle machine 200 tokens take ~0.1 s, less than a round trip of Playwright clicks.
    await s.page.fill('#view input[name=max]', '200');
    await s.page.evaluate(async () => {
      document.querySelector<HTMLButtonElement>('#view button[name=generate]')!.click();
      const stop = document.querySelector<HTMLButtonElement>('#view button[name=stop]')!;
      while (stop.disabled) await new Promise((r) => setTimeout(r, 0)); // the re-render that enables it
      stop.click();
    });
    await s.page.waitForSelector('[data-testid=gen-stats]:has-text("stopped: by the Stop button")', { timeout: 30_000 });
    assert.ok((await s.page.locator('#view .ttext').count()) < 200);
    // While tokens stream in, the text is redrawn at most every 100 ms (each redraw is a layout,
    // paint and raster of the whole paragraph, which at every frame took most of a core from the
    // model's worker): count the redraws (one MutationObserver callback each) over the run.
    await s.page.fill('#view input[name=max]', '200');
    const draws = await s.page.evaluate(async () => {
      const out = document.querySelector('[data-testid=generated]')!, stats = document.querySelector('[data-testid=gen-stats]')!;
      let redraws = 0, first = 0;
      const seen = new MutationObserver(() => { redraws++; first ||= performance.now(); });
      seen.observe(out, { childList: true, subtree: true });
      document.querySelector<HTMLButtonElement>('#view button[name=generate]')!.click();
      while (!stats.textContent!.startsWith('200 tokens,')) await new Promise((r) => setTimeout(r, 20));
      seen.disconnect();
      return { redraws, ms: performance.now() - first };
    });
    // the first token at once, then one per 100 ms, the last when it ends (and one for the cleared text)
    assert.ok(draws.redraws <= Math.ceil(draws.ms / 100) + 3, `${draws.redraws} redraws in ${draws.ms.toFixed(0)} ms`);
    // the greedy run again, for the screenshot
    await s.page.fill('#view input[name=max]', '30');
    await s.page.click('#view button[name=generate]');
    await s.page.waitForSelector('[data-testid=gen-stats]:has-text("30 tokens,")', { timeout: 60_000 });
    await s.page.hover('#view .tok >> nth=2');
    await shot(s.page, 'generate');
  });

  test('tokens: boundaries, ids and the bytes of a split emoji', async () => {
    await tab(s.page, 'tokens');
    const text = 'The dog 🐶 ran.';
    await s.page.fill('#view textarea[name=text]', text);
    await s.page.waitForFunction((n) => document.querySelectorAll('[data-testid=pieces] li').length === n, tok.encode(text).length);
    const ids = await s.page.$$eval('[data-testid=pieces] .pid', (els) => els.map((e) => Number(e.textContent)));
    assert.deepEqual(ids, tok.encode(text));
    const partial = await s.page.locator('[data-testid=pieces] .partial').count();
    const whole = tok.encode(text).filter((id) => tok.decode([id]).includes('\uFFFD')).length;
    assert.equal(partial, whole, 'pieces that are part of a character are marked');
    await shot(s.page, 'tokens');
  });

  test('logit lens: top tokens and probabilities match the library', async () => {
    await tab(s.page, 'lens');
    await runWith(s.page, PROMPT);
    const rows = await table(s.page, 'lens-table');
    const ids = inspect.encodePrompt(tok, PROMPT);
    const lens = inspect.logitLens(model, ids, { k: 5, decode: inspect.tokenLabel(tok) });
    assert.equal(rows.length, lens.layers.length);
    let checked = 0;
    lens.cells.forEach((row, l) => row.forEach((cell, t) => {
      const [, token, p] = /^(".*") ([\d.]+)$/s.exec(rows[l][t + 1])!;
      assert.equal(JSON.parse(token), cell.tokens![0], `layer ${l} position ${t}`);
      assert.ok(Math.abs(Number(p) - cell.probs[0]) < 2e-4, `layer ${l} position ${t}: ${p} vs ${cell.probs[0]}`);
      checked++;
    }));
    assert.ok(checked > 50);
    const grid = await s.page.locator('[data-testid=lens] figure > svg').last().boundingBox();
    if (grid) await s.page.mouse.move(grid.x + grid.width * 0.6, grid.y + grid.height * 0.3);
    await shot(s.page, 'lens');
  });

  test('attention: weights and the query/key/value numbers match the library', async () => {
    await tab(s.page, 'attention');
    await runWith(s.page, PROMPT);
    await s.page.selectOption('#view select[name=layer]', '2');
    await s.page.selectOption('#view select[name=head]', '1');
    await s.page.locator('summary:has-text("numbers")').first().click();
    const ids = inspect.encodePrompt(tok, PROMPT);
    const a = inspect.attentionPatterns(model, ids, { qkv: true });
    await s.page.waitForSelector('[data-testid=qkv-table] tbody tr');
    const rows = await table(s.page, 'attn-table');
    a.patterns[2][1].forEach((row, q) => row.forEach((w, k) => assert.ok(Math.abs(Number(rows[q][k + 1]) - w) < 1e-5, `query ${q} key ${k}`)));
    const qkv = await table(s.page, 'qkv-table');
    const want = inspect.queryKeyValues(a, 2, 1, ids.length - 1);
    assert.equal(qkv.length, ids.length);
    qkv.forEach((r, k) => {
      assert.ok(Math.abs(Number(r[1]) - want.scores[k]) < 1e-4, `score of key ${k}`);
      assert.ok(Math.abs(Number(r[2]) - a.patterns[2][1][ids.length - 1][k]) < 1e-5, `softmax weight of key ${k} is the pattern's`);
    });
    // the screenshot shows the clearest previous-token head
    const prev = inspect.headScores(a.patterns).previousToken;
    const best = prev.flatMap((r, l) => r.map((v, h) => ({ l, h, v }))).sort((x, y) => y.v - x.v)[0];
    await s.page.selectOption('#view select[name=layer]', String(best.l));
    await s.page.selectOption('#view select[name=head]', String(best.h));
    await s.page.locator('summary:has-text("numbers")').first().click();
    await s.page.evaluate(() => window.scrollTo(0, document.querySelector('[data-testid=attn-heatmap]')!.getBoundingClientRect().top + window.scrollY - 10));
    await shot(s.page, 'attention');
  });

  test('attribution: the parts add up to the logit, and match the library', async () => {
    await tab(s.page, 'attribution');
    await runWith(s.page, PROMPT);
    const rows = await table(s.page, 'attr-table');
    const parts = rows.map((r) => Number(r[2]));
    const summary = (await s.page.locator('[data-testid=attr-summary]').textContent())!;
    const logit = Number(/= (-?[\d.e-]+); sum/.exec(summary)![1]);
    const sum = parts.reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(sum - logit) < 1e-3, `parts sum to ${sum}, logit ${logit}`);
    const want = inspect.directLogitAttribution(model, inspect.encodePrompt(tok, PROMPT));
    assert.equal(rows.length, want.parts.length);
    want.parts.forEach((p, i) => {
      assert.equal(rows[i][0], p.name);
      assert.ok(Math.abs(parts[i] - p.value) < 1e-4, `${p.name}: ${parts[i]} vs ${p.value}`);
    });
    assert.ok(Math.abs(logit - want.logit) < 1e-4);
    await shot(s.page, 'attribution');
  });

  test('patching, neurons, word vectors and context open and match the library', async () => {
    await tab(s.page, 'patching');
    await runWith(s.page, null);
    const clean = inspect.encodePrompt(tok, 'Tom has a red ball. His ball is'), corrupted = inspect.encodePrompt(tok, 'Tom has a blue ball. His ball is');
    const patch = inspect.activationPatching(model, clean, corrupted, { answer: tok.encode(' red')[0], wrong: tok.encode(' blue')[0] });
    const resid = await table(s.page, 'patch-table');
    patch.resid.forEach((row, l) => row.forEach((v, t) => assert.ok(Math.abs(Number(resid[l][t + 1]) - v) < 1e-3, `patching L${l} position ${t}`)));
    await shot(s.page, 'patching');

    await tab(s.page, 'neurons');
    await runWith(s.page, PROMPT);
    const top = inspect.topNeurons(model, inspect.encodePrompt(tok, PROMPT), { k: 15 });
    const neurons = await table(s.page, 'neurons-table');
    assert.equal(neurons[0][0], `L${top.neurons[0].layer} #${top.neurons[0].neuron}`);
    assert.ok(Math.abs(Number(neurons[0][1]) - top.neurons[0].value) < 1e-4);

    await tab(s.page, 'vectors');
    await s.page.click('#view form >> nth=0 >> button');
    await s.page.waitForSelector('[data-testid=nearest-table] tbody tr');
    const nearest = inspect.nearestTokens(model, tok.encode(' dog')[0], 10, inspect.tokenLabel(tok));
    const near = await table(s.page, 'nearest-table');
    assert.ok(Math.abs(Number(near[0][1]) - nearest.neighbours[0].score) < 1e-4);
    await s.page.click('#view button[name=w2vtrain]');
    await s.page.waitForSelector('[data-testid=w2v-info]', { timeout: 60_000 });
    await s.page.click('#view button[name=w2vquery]');
    await s.page.waitForSelector('[data-testid=w2v-table] tbody tr');
    const corpus = await s.page.inputValue('#view textarea[name=w2vtext]');
    const wv = new inspect.VectorIndex(inspect.trainWord2Vec(inspect.tokenizeCorpus(corpus), { dim: 32, epochs: 5, window: 5, minCount: 2, seed: 1 }));
    const w2v = await table(s.page, 'w2v-table'), want = wv.analogy('king', 'man', 'woman', 8);
    assert.equal(w2v[0][0], want[0].word);
    assert.ok(Math.abs(Number(w2v[0][1]) - want[0].score) < 1e-4, `${w2v[0][1]} vs ${want[0].score}`);
    await s.page.click('#view form >> nth=2 >> button');
    await s.page.click('#view form >> nth=3 >> button');
    await s.page.waitForSelector('#view form >> nth=3 >> svg');
    await shot(s.page, 'vectors');

    await tab(s.page, 'context');
    await runWith(s.page, PROMPT);
    const T = inspect.encodePrompt(tok, PROMPT).length;
    const cost = inspect.attentionCost(model.config, T);
    assert.match((await s.page.locator('[data-testid=cost-now]').textContent())!, new RegExp(`now: ${cost.now.qkProductsPerLayer.toLocaleString('en-US')} query-key`));
    await shot(s.page, 'context');
  });

  test('a bad file gives a clear message, and the open model stays', async () => {
    await tab(s.page, 'model');
    await s.page.setInputFiles('[data-testid=open-files]', [{ name: 'broken.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('GGUF\x03\x00\x00\x00\x02', 'latin1') }]);
    await s.page.waitForSelector('[data-testid=load-error]');
    assert.match((await s.page.locator('[data-testid=load-error]').textContent())!, /could not open broken\.gguf: .+/);
    await s.page.setInputFiles('[data-testid=open-files]', [
      { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"model_type": "llama", ') },
      { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.alloc(16) },
    ]);
    await s.page.waitForSelector('[data-testid=load-error]:has-text("config.json is not valid JSON")');
    assert.match((await s.page.locator('[data-testid=model-name]').textContent())!, /built-in model/);
    await shot(s.page, 'bad-file');
  });

  test('opens a GGUF file and a Hugging Face folder from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-web-gguf-'));
    try {
      const path = join(dir, 'builtin.gguf');
      saveGgufModel(model, path, { tokenizer: tok });
      await tab(s.page, 'model');
      await s.page.setInputFiles('[data-testid=open-files]', path);
      await s.page.waitForSelector('[data-testid=model-name]:has-text("builtin.gguf")', { timeout: 60_000 });
      assert.match((await s.page.locator('[data-testid=model-info]').textContent())!, /GGUF/);
      await tab(s.page, 'generate');
      await s.page.fill('#view textarea[name=prompt]', PROMPT);
      await s.page.fill('#view input[name=max]', '12');
      await s.page.click('#view button[name=generate]');
      await s.page.waitForSelector('[data-testid=gen-stats]:has-text("tokens/s")', { timeout: 60_000 });
      const got = await s.page.$$eval('#view .ttext', (els) => els.map((e) => e.textContent).join(''));
      assert.equal(got, generateText(model, tok, PROMPT, { temperature: 0, maxTokens: 12 }).text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await tab(s.page, 'model');
    await s.page.setInputFiles('[data-testid=open-folder]', BUILTIN);
    await s.page.waitForSelector('[data-testid=model-name]:has-text("model: builtin —")', { timeout: 60_000 });
    assert.match((await s.page.locator('[data-testid=model-info]').textContent())!, /Hugging Face folder/);
  });

  test('opens stories260K through the file input and tells llama2.c\'s story', { skip: skipUnlessShared('data', 'models', 'stories260K', 'stories260K.bin') }, async () => {
    const dir = sharedPath('data', 'models', 'stories260K')!;
    await tab(s.page, 'model');
    await s.page.setInputFiles('[data-testid=open-files]', [join(dir, 'stories260K.bin'), join(dir, 'tok512.bin')]);
    await s.page.waitForSelector('[data-testid=model-name]:has-text("stories260K.bin")', { timeout: 60_000 });
    await tab(s.page, 'generate');
    await s.page.fill('#view textarea[name=prompt]', '');
    await s.page.fill('#view input[name=max]', '40');
    await s.page.click('#view button[name=generate]');
    await s.page.waitForSelector('[data-testid=gen-stats]:has-text("tokens/s")', { timeout: 60_000 });
    const text = await s.page.$$eval('#view .ttext', (els) => els.map((e) => e.textContent).join(''));
    assert.ok(text.startsWith('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'), text);
  });

  test('trains in the tab: validation loss falls; the download loads with glasslm --model', async () => {
    await tab(s.page, 'train');
    await s.page.click('#view button[name=train]');
    await s.page.waitForSelector('[data-testid=trained]', { timeout: 90_000 });
    const stats = (await s.page.locator('[data-testid=train-stats]').textContent())!;
    const [, first, last] = /validation ([\d.]+) → ([\d.]+)/.exec(stats)!.map(Number);
    assert.ok(last < first - 0.5, `validation loss ${first} -> ${last}`);
    await shot(s.page, 'train');
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-web-ckpt-'));
    try {
      const downloads: Promise<void>[] = [];
      const wanted = 4; // config.json, tokenizer.json, model.safetensors, train-state.safetensors
      const seen = new Promise<void>((done) => {
        s.page.on('download', (d) => { downloads.push(d.saveAs(join(dir, d.suggestedFilename()))); if (downloads.length === wanted) done(); });
      });
      await s.page.click('#view button[name=download]');
      await seen;
      await Promise.all(downloads);
      const trained = loadModel(dir);
      assert.equal(trained.config.layers, 2);
      const t = loadTokenizer(dir);
      const out = generateText(trained, t, 'the cat', { temperature: 0, maxTokens: 12 });
      assert.ok(out.text.length > 0);
      assert.ok(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).num_hidden_layers === 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // the views work on the trained model
    await tab(s.page, 'lens');
    await runWith(s.page, 'the cat sat');
  });

  test('no errors in the console', () => {
    assert.deepEqual(s.errors, []);
  });
});

describe('the web page at phone width, and without cross-origin isolation', { skip }, () => {
  test('served without COOP/COEP it runs on one thread and says so', async () => {
    const s = await openPage({ isolation: false, viewport: { width: 390, height: 844 } });
    try {
      await waitForModel(s.page);
      const backend = (await s.page.locator('[data-testid=backend]').textContent())!;
      assert.match(backend, /1 thread/);
      assert.match(backend, /not cross-origin isolated/);
      await tab(s.page, 'generate');
      await s.page.fill('#view input[name=max]', '5');
      await s.page.click('#view button[name=generate]');
      await s.page.waitForSelector('[data-testid=gen-stats]:has-text("tokens/s")', { timeout: 60_000 });
      const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the page is ${width} px wide at a 390 px viewport`);
      await shot(s.page, 'phone');
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });

  test('served with COOP/COEP it runs on several threads', async () => {
    const s = await openPage();
    try {
      await waitForModel(s.page);
      const backend = (await s.page.locator('[data-testid=backend]').textContent())!;
      const threads = Number(/(\d+) threads?/.exec(backend)?.[1]);
      assert.ok(threads >= 2, backend);
    } finally {
      await s.close();
    }
  });
});
