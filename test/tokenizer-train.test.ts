// Training: a hand-worked merge example, the fast trainer against a naive one, the 4,096-token
// TinyStories vocabulary, and the tokenizer.json save/load round trip.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pretokenize, regexPretokenizer, trainBpe, GPT2_PATTERN } from '../src/tokenizer/index.js';
import { bytesToByteLevel } from '../src/tokenizer/bytes.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadTokenizer, saveHfJson } from '../src/node.js';

/**
 * The slow, obvious trainer: recount every pair of every word before each merge; pick the
 * highest count, ties to the smaller (left, right) ids. Returns the merges as byte-level pairs.
 */
function naiveTrain(text: string, merges: number): [string, string][] {
  const words = pretokenize(regexPretokenizer(GPT2_PATTERN), text).map((w) => Array.from(new TextEncoder().encode(w)));
  const bytes: number[][] = [];
  for (let b = 0; b < 256; b++) bytes.push([b]);
  const out: [string, string][] = [];
  for (let k = 0; k < merges; k++) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) counts.set(`${w[i]},${w[i + 1]}`, (counts.get(`${w[i]},${w[i + 1]}`) ?? 0) + 1);
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [key, c] of counts) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (!best) break;
    const [a, b] = best;
    const merged = [...bytes[a]!, ...bytes[b]!];
    let id = bytes.findIndex((x) => x.length === merged.length && x.every((v, i) => v === merged[i]));
    if (id < 0) id = bytes.push(merged) - 1;
    out.push([bytesToByteLevel(bytes[a]!), bytesToByteLevel(bytes[b]!)]);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) w.splice(i, 2, id);
    }
  }
  return out;
}

describe('training', () => {
  test("minbpe's worked example: aaabdaaabac with 3 merges", () => {
    // (a,a) occurs 4 times -> 256 'aa'. Then (256,a) and (a,b) both occur twice; the tie goes to
    // the smaller ids, (97,98) -> 257 'ab'. Then (256,257) twice -> 258 'aaab'.
    const tok = trainBpe('aaabdaaabac', { vocabSize: 256 + 3 });
    assert.deepEqual(tok.merges, [['a', 'a'], ['a', 'b'], ['aa', 'ab']]);
    assert.deepEqual(tok.encode('aaabdaaabac'), [258, 100, 258, 97, 99]);
    assert.equal(tok.decode([258, 100]), 'aaabd');
  });

  test('the incremental trainer makes the same merges as the naive one', () => {
    const text = `The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away!
      Then the fox comes back, and the dog barks at the fox. aaaa bbbb aaaa abab 1234 1234 12 ,,, ...`.repeat(3);
    const tok = trainBpe(text, { vocabSize: 256 + 60 });
    assert.deepEqual(tok.merges, naiveTrain(text, 60));
  });

  test('special tokens take the last ids and are never split or trained on', () => {
    const tok = trainBpe('hello world<|endoftext|>hello there<|endoftext|>', { vocabSize: 270, specialTokens: ['<|endoftext|>'] });
    assert.equal(tok.specialTokens.get('<|endoftext|>'), 269);
    assert.ok(tok.merges.every(([a, b]) => !(a + b).includes('|')));
    assert.deepEqual(tok.encode('hi<|endoftext|>', { allowedSpecial: 'all' }).slice(-1), [269]);
    assert.throws(() => trainBpe('abc', { vocabSize: 200 }), /too small/);
  });

  test('save to tokenizer.json and load it back', () => {
    const text = 'Once upon a time, there was a little girl named Lily. She liked to play! 12345 '.repeat(20);
    for (const pattern of ['gpt2', 'cl100k']) {
      const tok = trainBpe(text, { vocabSize: 320, specialTokens: ['<|endoftext|>'], pattern });
      const dir = mkdtempSync(join(tmpdir(), 'glasslm-tok-'));
      try {
        const path = join(dir, 'tokenizer.json');
        saveHfJson(tok, path);
        const json = JSON.parse(readFileSync(path, 'utf8')) as { model: { type: string; merges: string[] } };
        assert.equal(json.model.type, 'BPE');
        assert.equal(json.model.merges[0], tok.merges[0]!.join(' '));
        const back = loadTokenizer(path);
        assert.equal(back.vocabSize, tok.vocabSize);
        assert.deepEqual([...back.specialTokens], [...tok.specialTokens]);
        const probe = 'Lily was a little girl. 😀 <|endoftext|> 1234567 twice  twice';
        assert.deepEqual(back.encode(probe, { allowedSpecial: 'all' }), tok.encode(probe, { allowedSpecial: 'all' }));
        for (let id = 0; id < tok.vocabSize; id++) assert.equal(back.idToToken(id), tok.idToToken(id));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  const STORIES = ['data', 'corpora', 'tinystories-2MiB.txt'];
  test('4,096 tokens on tinystories-2MiB, well under a minute', { skip: skipUnlessShared(...STORIES) }, () => {
    const text = readFileSync(sharedPath(...STORIES)!, 'utf8');
    const t0 = performance.now();
    const tok = trainBpe(text, { vocabSize: 4096, specialTokens: ['<|endoftext|>'] });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(tok.vocabSize, 4096);
    assert.equal(tok.merges.length, 4096 - 256 - 1);
    assert.ok(seconds < 30, `training took ${seconds.toFixed(1)} s`);
    assert.deepEqual(tok.merges.slice(0, 3), [['h', 'e'], ['Ġ', 't'], ['Ġ', 'a']]);
    const ids = tok.encode(text, { allowedSpecial: 'all' });
    assert.equal(tok.decode(ids), text);
    const bytesPerToken = Buffer.byteLength(text) / ids.length;
    assert.ok(bytesPerToken > 3.5, `compression ${bytesPerToken.toFixed(2)} bytes/token`);
  });
});
