// A model family's knowledge lives in its folder (src/models/families/NAME/): no other source
// file may branch on a family's name. This scans src/ for comparisons with any name the registry
// knows (family names, config.json model_type values, GGUF architectures, --arch values) and for
// tests of a config's `arch`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FAMILIES } from '../src/models/families/index.js';
import { projectRoot } from './shared.js';

const SRC = join(projectRoot, 'src');
/** Where family names may be compared: the families themselves, and tokenizers, whose 'gpt2'/'llama' are tokenizer kinds (tokenizer.ggml.model), not model families. */
const ALLOWED = [join('src', 'models', 'families') + '/', join('src', 'tokenizer') + '/'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Comparisons with a name: x === 'name', 'name' !== x, case 'name':, and any test of `.arch` / `arch` against a string. */
function branches(text: string, names: readonly string[]): string[] {
  const alt = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const patterns = [
    new RegExp(`[!=]==?\\s*['"\`](${alt})['"\`]`, 'g'),
    new RegExp(`['"\`](${alt})['"\`]\\s*[!=]==?`, 'g'),
    new RegExp(`case\\s+['"\`](${alt})['"\`]\\s*:`, 'g'),
    /\barch\s*[!=]==?\s*['"`]/g,
    /['"`]\s*[!=]==?\s*[\w.]*\barch\b/g,
  ];
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (patterns.some((p) => { p.lastIndex = 0; return p.test(line); })) hits.push(`${i + 1}: ${line.trim()}`);
  });
  return hits;
}

test('the scan catches a branch on a family name (it can fail)', () => {
  assert.equal(branches(`if (config.arch === 'gpt2') x();`, ['gpt2']).length, 1);
  assert.equal(branches(`const t = 'llama' === kind ? 1 : 2;`, ['llama']).length, 1);
  assert.equal(branches(`switch (t) { case 'qwen2': }`, ['qwen2']).length, 1);
  assert.equal(branches(`const head = c.arch !== 'x' ? a : b;`, ['gpt2']).length, 1, 'any arch comparison counts');
  assert.equal(branches(`const name = 'gpt2-tiny';`, ['gpt2']).length, 0);
});

test('no file outside src/models/families/ branches on a model family\'s name', () => {
  const names = new Set<string>();
  for (const f of FAMILIES) for (const n of [f.name, ...f.hfModelTypes, ...f.gguf.archs, ...f.trainArchs, ...Object.keys(f.hfClasses)]) names.add(n);
  assert.ok(names.has('gpt2') && names.has('llama'), 'the registry knows GPT-2 and Llama');
  const offenders: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const rel = relative(projectRoot, path);
    if (ALLOWED.some((a) => rel.startsWith(a))) continue;
    for (const hit of branches(readFileSync(path, 'utf8'), [...names])) offenders.push(`${rel}:${hit}`);
  }
  assert.deepEqual(offenders, [], `family branches outside src/models/families/:\n${offenders.join('\n')}`);
});
