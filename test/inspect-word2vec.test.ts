// word2vec: a planted analogy in a synthetic corpus is recovered by skip-gram and CBOW; the query
// functions agree with answers worked out by hand on tiny vectors; the text format round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/ops/random.js';
import { trainWord2Vec, tokenizeCorpus, unigramTable, type WordVectors } from '../src/inspect/word2vec.js';
import { evaluateAnalogies, VectorIndex } from '../src/inspect/word2vec-query.js';
import { formatWord2VecText, parseWord2VecText } from '../src/inspect/word2vec-io.js';

/**
 * Sentences from a small grammar: each person word comes with context words of its gender
 * (he/his/beard… or she/her/dress…), of its station (crown/throne… or house/work…) and of
 * its age (old/wise… or young/little…); filler words are shared by all. So king − man + woman should land on queen.
 */
function plantedCorpus(sentences: number, seed: number): string {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  const people = [
    { w: 'king', male: true, royal: true, old: true }, { w: 'queen', male: false, royal: true, old: true },
    { w: 'man', male: true, royal: false, old: true }, { w: 'woman', male: false, royal: false, old: true },
    { w: 'prince', male: true, royal: true, old: false }, { w: 'princess', male: false, royal: true, old: false },
    { w: 'boy', male: true, royal: false, old: false }, { w: 'girl', male: false, royal: false, old: false },
  ];
  const male = ['he', 'his', 'him', 'beard', 'sir'], female = ['she', 'her', 'hers', 'dress', 'madam'];
  const royal = ['crown', 'throne', 'palace', 'reign', 'royal'], common = ['house', 'work', 'street', 'job', 'town'];
  const adult = ['old', 'wise', 'tall', 'grown', 'elder'], young = ['young', 'little', 'toy', 'play', 'small'];
  const filler = ['the', 'a', 'and', 'then', 'went', 'saw', 'day', 'good'];
  const lines: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const p = pick(people);
    const ctx = [pick(p.male ? male : female), pick(p.male ? male : female), pick(p.royal ? royal : common), pick(p.royal ? royal : common), pick(p.old ? adult : young), pick(p.old ? adult : young), pick(filler)];
    for (let j = ctx.length - 1; j > 0; j--) { const k = rng.int(j + 1); [ctx[j], ctx[k]] = [ctx[k], ctx[j]]; }
    ctx.splice(rng.int(ctx.length + 1), 0, p.w);
    lines.push(ctx.join(' '));
  }
  return lines.join('\n');
}

for (const model of ['skipgram', 'cbow'] as const) {
  test(`word2vec ${model} recovers the planted analogy king − man + woman = queen`, () => {
    const sentences = tokenizeCorpus(plantedCorpus(2000, 7));
    // CBOW also exercises subsampling of frequent words
    const wv = trainWord2Vec(sentences, { model, dim: 24, window: 4, negative: 5, minCount: 1, sample: model === 'cbow' ? 1e-2 : 0, epochs: 4, seed: 3 });
    const vi = new VectorIndex(wv);
    const top = vi.analogy('king', 'man', 'woman', 3);
    assert.equal(top[0].word, 'queen', `nearest to king − man + woman: ${top.map((t) => `${t.word} ${t.score.toFixed(3)}`).join(', ')}`);
    assert.equal(vi.analogy('prince', 'boy', 'girl', 1)[0].word, 'princess');
    assert.ok(Math.abs(vi.similarity('queen', 'queen') - 1) < 1e-6);
    assert.ok(vi.similarity('king', 'queen') > vi.similarity('king', 'street'));
    const evalText = ': royalty\nman king woman queen\nboy prince girl princess\nman king woman zebra\n';
    const ev = evaluateAnalogies(vi, evalText);
    assert.deepEqual([ev.correct, ev.total, ev.skipped], [2, 2, 1]);
  });
}

test('analogy, similar, doesnt-match and similarity match answers worked out by hand', () => {
  // 2-D vectors at known angles: a = 0°, b = 90°, c = 180°, d = 270° (unit length), e = (3, 4)
  const wv: WordVectors = { words: ['a', 'b', 'c', 'd', 'e'], dim: 2, vectors: Float32Array.from([1, 0, 0, 1, -1, 0, 0, -1, 3, 4]) };
  const vi = new VectorIndex(wv);
  assert.ok(Math.abs(vi.similarity('e', 'e') - 1) < 1e-6);
  assert.ok(Math.abs(vi.similarity('a', 'e') - 0.6) < 1e-6); // (1,0)·(0.6,0.8)
  assert.ok(Math.abs(vi.similarity('a', 'c') + 1) < 1e-6);
  // b − a + c = (0,1) − (1,0) + (−1,0) = (−2, 1); excluding a, b, c: d scores −1/√5, e scores (−1.2+0.8)/√5
  const an = vi.analogy('b', 'a', 'c', 2);
  assert.deepEqual(an.map((n) => n.word), ['e', 'd']);
  assert.ok(Math.abs(an[0].score - -0.4 / Math.sqrt(5)) < 1e-6);
  // neighbours of a: e (0.6), b and d (0), c (−1)
  assert.equal(vi.similar('a', 1)[0].word, 'e');
  // a, e and b point roughly the same way; c is the odd one out
  assert.equal(vi.doesntMatch(['a', 'e', 'b', 'c']).word, 'c');
  assert.throws(() => vi.similarity('a', 'zzz'), /'zzz' is not in the vocabulary/);
});

test('the unigram^0.75 table gives each word its share of slots', () => {
  const counts = [81, 16, 1]; // ^0.75: 27, 8, 1 of 36
  const t = unigramTable(counts, 36000);
  const n = [0, 0, 0];
  for (const w of t) n[w]++;
  assert.ok(Math.abs(n[0] - 27000) <= 2 && Math.abs(n[1] - 8000) <= 2 && Math.abs(n[2] - 1000) <= 2, `slots ${n}`);
});

test('word2vec text format round-trips and refuses malformed files', () => {
  const wv: WordVectors = { words: ['x', 'y'], dim: 3, vectors: Float32Array.from([0.5, -1.25, 3, 1e-3, 0, 2]) };
  const text = formatWord2VecText(wv);
  assert.equal(text.split('\n')[0], '2 3');
  const back = parseWord2VecText(text);
  assert.deepEqual(back.words, wv.words);
  assert.deepEqual(Array.from(back.vectors), Array.from(wv.vectors));
  assert.throws(() => parseWord2VecText('2 3\nx 1 2 3\n'), /promises 2 words/);
  assert.throws(() => parseWord2VecText('hello\n'), /not a word2vec text file/);
  assert.throws(() => parseWord2VecText('1 2\nx 1 two\n'), /'two' is not a number/);
});
