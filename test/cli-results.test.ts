// Commands that used to exit 0 with a silently wrong or empty result: each now either works or
// fails up front with a clear one-line error (exit 1). vectors train at a learning rate that
// overflows, over its own corpus, evaluate on no questions, contextual with an empty word; eval
// --sft when examples are dropped; score --limit; experts --tokens and a prompt past the
// context; neurons on an empty corpus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

function glasslm(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args, '--threads', '1'], { encoding: 'utf8' });
}

/** Asserts a clean failure: exit 1, one `glasslm CMD: …` line matching message, nothing printed on stdout. */
function assertFails(r: ReturnType<typeof glasslm>, message: RegExp): void {
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, '', 'nothing is printed before the error');
}

const story = 'Once upon a time there was a little dog. The dog liked to run in the park with a ball. The girl and the boy played with the dog.\n';

function withDir(name: string, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), `glasslm-${name}-`));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('vectors: a diverging --lr never writes NaN; --out over the corpus, an empty question file and an empty word are refused', () => withDir('vectors', (dir) => {
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, story.repeat(300));
  for (const lr of ['1', '10']) {
    const out = join(dir, `v${lr}.txt`);
    const r = glasslm('vectors', 'train', '--file', corpus, '--out', out, '--dim', '10', '--epochs', '1', '--min-count', '1', '--lr', lr);
    if (r.status === 0) {
      const numbers = readFileSync(out, 'utf8').trim().split('\n').slice(1).flatMap((line) => line.split(' ').slice(1).map(Number));
      assert.ok(numbers.length > 0 && numbers.every(Number.isFinite), `--lr ${lr} wrote non-finite vectors`);
    } else {
      assertFails(r, /diverged .*lower lr/);
      assert.ok(!existsSync(out), `--lr ${lr}: no vectors file after a failed run`);
    }
  }
  const out = join(dir, 'v.txt');
  const fine = glasslm('vectors', 'train', '--file', corpus, '--out', out, '--dim', '10', '--epochs', '1', '--min-count', '1', '--lr', '0.05');
  assert.equal(fine.status, 0, fine.stderr);

  const before = readFileSync(corpus, 'utf8');
  linkSync(corpus, join(dir, 'link.txt')); // another name for the same file
  for (const same of [corpus, join(dir, 'link.txt')]) assertFails(glasslm('vectors', 'train', '--file', corpus, '--out', same), /is the --file input: it would be overwritten/);
  assert.equal(readFileSync(corpus, 'utf8'), before);

  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  assertFails(glasslm('vectors', 'evaluate', '--vectors', out, '--file', empty), /has no questions/);
  const unknown = join(dir, 'unknown.txt');
  writeFileSync(unknown, ': section\nzzz yyy xxx www\n');
  assertFails(glasslm('vectors', 'evaluate', '--vectors', out, '--file', unknown), /none of the 1 questions .* nothing to score/);

  for (const word of ['', '  ']) {
    assertFails(glasslm('vectors', 'contextual', word, '--sentence', 'the bank', '--sentence', 'a bank'), /the word is empty/);
  }
}));

test('eval --sft: examples longer than the context are counted as dropped, and none left is an error', () => withDir('eval', (dir) => {
  const example = (user: string) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: 'ok' }] });
  const long = example('word '.repeat(300)); // past the built-in model's 256 tokens
  const allLong = join(dir, 'alllong.jsonl'), mixed = join(dir, 'mixed.jsonl');
  writeFileSync(allLong, [long, long, long].join('\n'));
  writeFileSync(mixed, [example('Say hi'), long].join('\n'));
  assertFails(glasslm('eval', '--sft', allLong), /all 3 examples dropped: none has a completion token within the model's context of 256 tokens/);
  const r = glasslm('eval', '--sft', mixed);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 examples, .*1 dropped/);
  const json = JSON.parse(glasslm('eval', '--sft', mixed, '--json').stdout);
  assert.deepEqual([json.examples, json.dropped], [1, 1]);
  assert.ok(Number.isFinite(json.loss_per_token));
}));

test('score --limit: a whole number ≥ 1, checked before any work; --limit N scores the first N pairs', () => withDir('score', (dir) => {
  const pairs = join(dir, 'pairs.jsonl'), rm = join(dir, 'rm');
  writeFileSync(pairs, ['Lily', 'Tom', 'Sue'].map((n) => JSON.stringify({ prompt: `${n} asked for the ball.`, chosen: ` ${n} said thank you.`, rejected: ` ${n} was mean.` })).join('\n'));
  const t = glasslm('reward', '--data', pairs, '--out', rm, '--steps', '1', '--batch-size', '2', '--context', '32', '--held-out', '0.5');
  assert.equal(t.status, 0, t.stderr);
  for (const limit of ['-1', '0', '1.5']) assertFails(glasslm('score', '--model', rm, '--data', pairs, '--limit', limit), /--limit must be a whole number ≥ 1/);
  assertFails(glasslm('score', '--model', rm, '--prompt', 'Hi.', '--answer', ' Hello.', '--limit', '1'), /--limit goes with --data/);
  const r = glasslm('score', '--model', rm, '--data', pairs, '--limit', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).pairs.map((p: { line: number }) => p.line), [1, 2]);
}));

test('experts: --tokens is a whole number ≥ 1 checked before any output; a prompt past the context is refused, not cut', () => withDir('experts', (dir) => {
  const text = join(dir, 'text.txt'), model = join(dir, 'moe');
  writeFileSync(text, story.repeat(20));
  const t = glasslm('train', '--data', text, '--out', model, '--char', '--arch', 'mixtral', '--layers', '1', '--heads', '2', '--dim', '16',
    '--context', '16', '--batch-size', '2', '--steps', '2', '--experts', '4', '--experts-per-token', '2', '--eval-batches', '1');
  assert.equal(t.status, 0, t.stderr);
  for (const n of ['-1', '0', '2.5', 'abc']) assertFails(glasslm('experts', '--model', model, '--no-color', '--tokens', n, 'a dog'), /--tokens must be a (whole )?number/);
  const shown = glasslm('experts', '--model', model, '--no-color', '--no-bos', '--tokens', '3', 'a dog');
  assert.equal(shown.status, 0, shown.stderr);
  const routes = shown.stdout.trim().split('\n').at(-1)!.trim().split(/\s+/); // L0, then one cell per token shown
  assert.deepEqual([routes[0], routes.length - 1], ['L0', 3]);
  assertFails(glasslm('experts', '--model', model, '--no-bos', 'a dog ran in the big park'), /\d+ positions exceed the context window of 16 tokens/);
}));

test('neurons --neuron --file: a corpus with no text is an error, not an empty table', () => withDir('neurons', (dir) => {
  for (const [name, content] of [['empty.txt', ''], ['blank.txt', '\n  \n\n']]) {
    const file = join(dir, name);
    writeFileSync(file, content);
    assertFails(glasslm('neurons', '--neuron', '0.0', '--file', file), /has no text: no tokens/);
  }
}));
