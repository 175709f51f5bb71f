// Questions to word vectors: most similar, analogies (3CosAdd), the odd one out, similarity, and
// accuracy on an analogy file in the questions-words.txt format.

import type { WordVectors } from './word2vec.js';

export interface Neighbour {
  word: string;
  score: number;
}

/** Word vectors with unit-length rows and a word -> row index, for cosine queries. */
export class VectorIndex {
  readonly index: Map<string, number>;
  readonly unit: Float32Array;

  constructor(readonly wv: WordVectors) {
    this.index = new Map(wv.words.map((w, i) => [w, i]));
    this.unit = new Float32Array(wv.vectors.length);
    const D = wv.dim;
    for (let i = 0; i < wv.words.length; i++) {
      let n = 0;
      for (let c = 0; c < D; c++) n += wv.vectors[i * D + c] ** 2;
      const s = n > 0 ? 1 / Math.sqrt(n) : 0;
      for (let c = 0; c < D; c++) this.unit[i * D + c] = wv.vectors[i * D + c] * s;
    }
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  row(word: string): number {
    const i = this.index.get(word);
    if (i === undefined) throw new Error(`'${word}' is not in the vocabulary`);
    return i;
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    const D = this.wv.dim, i = this.row(a) * D, j = this.row(b) * D;
    let s = 0;
    for (let c = 0; c < D; c++) s += this.unit[i + c] * this.unit[j + c];
    return s;
  }

  /** The k words whose unit vectors have the largest dot product with `query`, skipping `exclude`. */
  nearest(query: Float64Array, k: number, exclude: ReadonlySet<string> = new Set()): Neighbour[] {
    const D = this.wv.dim;
    let qn = 0;
    for (let c = 0; c < D; c++) qn += query[c] ** 2;
    qn = Math.sqrt(qn) || 1;
    const scored: Neighbour[] = [];
    for (let i = 0; i < this.wv.words.length; i++) {
      const w = this.wv.words[i];
      if (exclude.has(w)) continue;
      let s = 0;
      for (let c = 0; c < D; c++) s += this.unit[i * D + c] * query[c];
      scored.push({ word: w, score: s / qn });
    }
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, k);
  }

  /** The sum of unit vectors with signs: [[word, +1], [word, −1], …]. */
  combine(terms: readonly [string, number][]): Float64Array {
    const D = this.wv.dim, out = new Float64Array(D);
    for (const [w, sign] of terms) {
      const o = this.row(w) * D;
      for (let c = 0; c < D; c++) out[c] += sign * this.unit[o + c];
    }
    return out;
  }

  /** Nearest words to one word (the word itself excluded). */
  similar(word: string, k = 10): Neighbour[] {
    return this.nearest(this.combine([[word, 1]]), k, new Set([word]));
  }

  /** 3CosAdd: the words nearest a − b + c (king − man + woman ≈ queen), the three query words excluded. */
  analogy(a: string, b: string, c: string, k = 10): Neighbour[] {
    return this.nearest(this.combine([[a, 1], [b, -1], [c, 1]]), k, new Set([a, b, c]));
  }

  /** The word least like the others: lowest cosine to the mean of the unit vectors. */
  doesntMatch(words: readonly string[]): { word: string; scores: Neighbour[] } {
    if (words.length < 2) throw new Error('doesnt-match needs at least two words');
    const mean = this.combine(words.map((w) => [w, 1 / words.length]));
    const scores = words.map((w) => {
      const o = this.row(w) * this.wv.dim;
      let s = 0, n = 0;
      for (let c = 0; c < this.wv.dim; c++) {
        s += this.unit[o + c] * mean[c];
        n += mean[c] ** 2;
      }
      return { word: w, score: s / (Math.sqrt(n) || 1) };
    });
    const worst = scores.reduce((m, s) => (s.score < m.score ? s : m));
    return { word: worst.word, scores };
  }
}

export interface AnalogySection {
  name: string;
  correct: number;
  total: number;
  /** Questions with a word outside the vocabulary. */
  skipped: number;
}

export interface AnalogyEvaluation {
  sections: AnalogySection[];
  correct: number;
  total: number;
  skipped: number;
  accuracy: number;
}

/**
 * Accuracy on analogy questions in the questions-words.txt format: ': section' lines, then lines
 * 'a b c d' meaning a : b :: c : d; the answer counts when the nearest word to b − a + c (the
 * three excluded) is d. Words are lowercased; questions with unknown words are skipped.
 */
export function evaluateAnalogies(vi: VectorIndex, text: string): AnalogyEvaluation {
  const sections: AnalogySection[] = [];
  let cur: AnalogySection | null = null;
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith(':')) {
      sections.push(cur = { name: line.slice(1).trim(), correct: 0, total: 0, skipped: 0 });
      continue;
    }
    const q = line.toLowerCase().split(/\s+/);
    if (q.length !== 4) throw new Error(`analogy file line ${n + 1}: expected four words, got '${line}'`);
    if (!cur) sections.push(cur = { name: '(no section)', correct: 0, total: 0, skipped: 0 });
    if (!q.every((w) => vi.has(w))) {
      cur.skipped++;
      continue;
    }
    cur.total++;
    if (vi.analogy(q[1], q[0], q[2], 1)[0]?.word === q[3]) cur.correct++;
  }
  if (sections.every((s) => s.total + s.skipped === 0)) throw new Error('the analogy file has no questions ("a b c d" lines)');
  const correct = sections.reduce((s, x) => s + x.correct, 0), total = sections.reduce((s, x) => s + x.total, 0);
  return { sections, correct, total, skipped: sections.reduce((s, x) => s + x.skipped, 0), accuracy: total ? correct / total : 0 };
}
