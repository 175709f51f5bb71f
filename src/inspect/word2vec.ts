// word2vec (Mikolov et al. 2013) as the original C tool trains it: skip-gram or CBOW, negative
// sampling from the unigram^0.75 table, subsampling of frequent words, a linearly decaying
// learning rate, a randomly shrunk window. Seeded, so a run is reproducible.

import { Rng } from '../ops/random.js';

export interface Word2VecOptions {
  /** 'skipgram' predicts each context word from the centre; 'cbow' the centre from the mean of its context. */
  model?: 'skipgram' | 'cbow';
  dim?: number; // default 100
  window?: number; // default 5
  negative?: number; // negative samples per positive, default 5
  /** Words seen fewer times are dropped (default 5, as in the C tool). */
  minCount?: number;
  /** Subsampling threshold (default 1e-3; 0 turns it off). */
  sample?: number;
  epochs?: number; // default 5
  /** Starting learning rate (default 0.025 for skip-gram, 0.05 for CBOW), decayed linearly to 0.0001 × it; a rate so high that the vectors overflow throws. */
  lr?: number;
  seed?: number;
  /** Called after each epoch with the current learning rate. */
  onEpoch?: (epoch: number, lr: number) => void;
}

export interface WordVectors {
  words: string[];
  dim: number;
  /** words.length × dim, row-major. */
  vectors: Float32Array;
  /** Corpus counts, when trained here. */
  counts?: number[];
}

/** The corpus as sentences of lowercase words: lines split on whitespace, punctuation at the edges of words removed. */
export function tokenizeCorpus(text: string): string[][] {
  const sentences: string[][] = [];
  for (const line of text.toLowerCase().split(/\n/)) {
    const words = line.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')).filter((w) => w.length > 0);
    if (words.length) sentences.push(words);
  }
  return sentences;
}

const TABLE_SIZE = 1e6;

/** The negative-sampling table: word i fills a share of slots proportional to count^0.75. */
export function unigramTable(counts: readonly number[], size = TABLE_SIZE): Int32Array {
  const table = new Int32Array(size);
  let total = 0;
  for (const c of counts) total += c ** 0.75;
  let i = 0, cum = counts[0] ** 0.75 / total;
  for (let a = 0; a < size; a++) {
    table[a] = i;
    if (a / size > cum && i < counts.length - 1) cum += counts[++i] ** 0.75 / total;
  }
  return table;
}

/** Throws unless every option is in range (a zero width or window, or negative epochs, train nothing useful). */
export function checkWord2VecOptions(opts: Word2VecOptions): void {
  const whole = (name: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) throw new Error(`word2vec: ${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  whole('dim', opts.dim, 1, 4096);
  whole('window', opts.window, 1, 1000);
  whole('negative', opts.negative, 0, 1000);
  whole('min-count', opts.minCount, 1, Number.MAX_SAFE_INTEGER);
  whole('epochs', opts.epochs, 1, 10000);
  if (opts.sample !== undefined && !(opts.sample >= 0 && Number.isFinite(opts.sample))) throw new Error(`word2vec: sample must be a number ≥ 0, got ${opts.sample}`);
  if (opts.lr !== undefined && !(opts.lr > 0 && opts.lr <= 10)) throw new Error(`word2vec: lr must be in (0, 10], got ${opts.lr}`);
  if (opts.model !== undefined && opts.model !== 'skipgram' && opts.model !== 'cbow') throw new Error(`word2vec: model must be skipgram or cbow, got ${String(opts.model)}`);
}

export function trainWord2Vec(sentences: readonly (readonly string[])[], opts: Word2VecOptions = {}): WordVectors {
  checkWord2VecOptions(opts);
  const cbow = (opts.model ?? 'skipgram') === 'cbow';
  const dim = opts.dim ?? 100, window = opts.window ?? 5, negative = opts.negative ?? 5;
  const minCount = opts.minCount ?? 5, sample = opts.sample ?? 1e-3, epochs = opts.epochs ?? 5;
  const lr0 = opts.lr ?? (cbow ? 0.05 : 0.025);
  const rng = new Rng(opts.seed ?? 1);

  // vocabulary, most frequent first
  const countOf = new Map<string, number>();
  for (const s of sentences) for (const w of s) countOf.set(w, (countOf.get(w) ?? 0) + 1);
  const entries = [...countOf].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (entries.length === 0) throw new Error(`no word occurs ${minCount} times or more; lower minCount`);
  const words = entries.map(([w]) => w), counts = entries.map(([, c]) => c);
  const index = new Map(words.map((w, i) => [w, i]));
  const corpus = sentences.map((s) => Int32Array.from(s.filter((w) => index.has(w)).map((w) => index.get(w)!)));
  const totalWords = counts.reduce((a, b) => a + b, 0);
  const table = unigramTable(counts);
  // keep probability per word: (sqrt(f / (sample·N)) + 1) · sample·N / f
  const keep = counts.map((f) => (sample > 0 ? Math.min(1, (Math.sqrt(f / (sample * totalWords)) + 1) * (sample * totalWords) / f) : 1));

  const V = words.length;
  const syn0 = new Float32Array(V * dim); // input vectors (the result)
  const syn1 = new Float32Array(V * dim); // output vectors for negative sampling
  for (let i = 0; i < syn0.length; i++) syn0[i] = (rng.next() - 0.5) / dim;
  const neu1 = new Float32Array(dim), neu1e = new Float32Array(dim);

  /** One positive and `negative` sampled targets against the input vector h; accumulates the input's gradient in neu1e. */
  const learn = (h: Float32Array, hOff: number, target: number, lr: number) => {
    for (let d = 0; d <= negative; d++) {
      let word: number, label: number;
      if (d === 0) { word = target; label = 1; }
      else {
        word = table[rng.int(TABLE_SIZE)];
        if (word === target) continue;
        label = 0;
      }
      const o = word * dim;
      let f = 0;
      for (let c = 0; c < dim; c++) f += h[hOff + c] * syn1[o + c];
      if (!Number.isFinite(f)) throw diverged();
      const g = (label - 1 / (1 + Math.exp(-f))) * lr;
      for (let c = 0; c < dim; c++) neu1e[c] += g * syn1[o + c];
      for (let c = 0; c < dim; c++) syn1[o + c] += g * h[hOff + c];
    }
  };

  const totalSteps = epochs * totalWords + 1;
  let processed = 0, lr = lr0, epoch = 0;
  // too high a rate makes the updates grow until the floats overflow (then every vector is NaN)
  const diverged = () => new Error(`word2vec diverged in epoch ${epoch + 1} with lr ${lr0}: the vectors overflowed; train again with a lower lr (the default is ${cbow ? 0.05 : 0.025} for ${cbow ? 'CBOW' : 'skip-gram'})`);
  const sent = new Int32Array(corpus.reduce((m, s) => Math.max(m, s.length), 0));
  for (; epoch < epochs; epoch++) {
    for (const s of corpus) {
      let n = 0;
      for (let i = 0; i < s.length; i++) if (keep[s[i]] >= 1 || rng.next() < keep[s[i]]) sent[n++] = s[i];
      processed += s.length;
      lr = Math.max(lr0 * 1e-4, lr0 * (1 - processed / totalSteps));
      for (let pos = 0; pos < n; pos++) {
        const word = sent[pos];
        const b = rng.int(window); // the window shrinks to window − b
        const lo = Math.max(0, pos - window + b), hi = Math.min(n - 1, pos + window - b);
        if (cbow) {
          neu1.fill(0);
          let cw = 0;
          for (let a = lo; a <= hi; a++) {
            if (a === pos) continue;
            const o = sent[a] * dim;
            for (let c = 0; c < dim; c++) neu1[c] += syn0[o + c];
            cw++;
          }
          if (cw === 0) continue;
          for (let c = 0; c < dim; c++) neu1[c] /= cw;
          neu1e.fill(0);
          learn(neu1, 0, word, lr);
          for (let a = lo; a <= hi; a++) {
            if (a === pos) continue;
            const o = sent[a] * dim;
            for (let c = 0; c < dim; c++) syn0[o + c] += neu1e[c] / cw; // mean's gradient (the C tool adds it undivided)
          }
        } else {
          for (let a = lo; a <= hi; a++) {
            if (a === pos) continue;
            const o = sent[a] * dim; // the context word's vector predicts the centre word
            neu1e.fill(0);
            learn(syn0, o, word, lr);
            for (let c = 0; c < dim; c++) syn0[o + c] += neu1e[c];
          }
        }
      }
    }
    // a vector updated after its last dot product could have overflowed unseen
    if (!syn0.every(Number.isFinite)) throw diverged();
    opts.onEpoch?.(epoch, lr);
  }
  return { words, dim, vectors: syn0, counts };
}
