// `glasslm tokenize`: output forms and errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../src/cli/commands/tokenize.js';
import { sharedPath, skipUnlessShared } from './shared.js';

/** Runs the command, capturing what it prints. */
async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    const code = await run(argv);
    return { code, out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

describe('glasslm tokenize', { skip: skipUnlessShared('data', 'tokenizers', 'gpt2') }, () => {
  const gpt2 = (): string => sharedPath('data', 'tokenizers', 'gpt2')!;

  test('--json prints ids and tokens', async () => {
    const { code, out } = await capture(['--tokenizer', gpt2(), '--json', 'Hello world']);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), { ids: [15496, 995], tokens: ['Hello', 'Ġworld'] });
  });

  test('plain output shows boundaries, ids and tokens per word', async () => {
    const { out } = await capture(['--tokenizer', sharedPath('data', 'tokenizers', 'gpt2', 'vocab-only.gguf')!, 'Hello world 😀']);
    assert.match(out, /tokens: +Hello│ world│ \\xf0\\x9f\\x98│\\x80/);
    assert.match(out, /ids: +15496 995 30325 222/);
    assert.match(out, /per word: +Hello\(1\) world\(1\) 😀\(2\)/);
    assert.match(out, /4 tokens, 3 words, 1\.33 tokens per word/);
  });

  test('llama2.c .bin', { skip: skipUnlessShared('data', 'models', 'stories260K', 'tok512.bin') }, async () => {
    const { out } = await capture(['--tokenizer', sharedPath('data', 'models', 'stories260K', 'tok512.bin')!, '--json', 'Once upon a time']);
    assert.deepEqual(JSON.parse(out).ids, [403, 407, 261, 378]);
  });

  test('errors: no --tokenizer, unknown options, special tokens', async () => {
    await assert.rejects(run(['hello']), /--tokenizer is required/);
    await assert.rejects(run(['--tokenizer', gpt2(), '--bogus', 'x']), /Unknown option '--bogus'/);
    await assert.rejects(run(['--tokenizer', gpt2(), 'a<|endoftext|>']), /special token '<\|endoftext\|>'.*--allow-special/);
    const { out } = await capture(['--tokenizer', gpt2(), '--allow-special', '--json', 'a<|endoftext|>']);
    assert.deepEqual(JSON.parse(out).ids, [64, 50256]);
    await assert.rejects(run(['--tokenizer', gpt2()]), /no text/);
  });
});
