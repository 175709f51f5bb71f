// The word2vec text format: a header line "<words> <dim>", then one line per word: the word and
// its dim numbers, separated by spaces.

import type { WordVectors } from './word2vec.js';

export function formatWord2VecText(wv: WordVectors): string {
  const lines = [`${wv.words.length} ${wv.dim}`];
  for (let i = 0; i < wv.words.length; i++) {
    const row: string[] = [wv.words[i]];
    for (let c = 0; c < wv.dim; c++) row.push(String(Number(wv.vectors[i * wv.dim + c].toPrecision(7))));
    lines.push(row.join(' '));
  }
  return lines.join('\n') + '\n';
}

export function parseWord2VecText(text: string): WordVectors {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const header = (lines[0] ?? '').trim().split(/\s+/).map(Number);
  if (header.length !== 2 || !header.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`not a word2vec text file: the first line should be '<words> <dim>', got '${lines[0] ?? ''}'`);
  }
  const [n, dim] = header;
  if (lines.length - 1 !== n) throw new Error(`the header promises ${n} words but the file has ${lines.length - 1}`);
  const words: string[] = [];
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const parts = lines[i + 1].trim().split(' ');
    if (parts.length !== dim + 1) throw new Error(`line ${i + 2}: expected a word and ${dim} numbers, got ${parts.length - 1} numbers`);
    words.push(parts[0]);
    for (let c = 0; c < dim; c++) {
      const v = Number(parts[c + 1]);
      if (!Number.isFinite(v)) throw new Error(`line ${i + 2}: '${parts[c + 1]}' is not a number`);
      vectors[i * dim + c] = v;
    }
  }
  return { words, dim, vectors };
}
