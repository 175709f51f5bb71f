// `glasslm vectors`: word2vec training and queries, nearest tokens in a model's embedding matrix,
// and contextual vectors of one word across sentences.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { contextualVectors, nearestTokens } from '../../inspect/embeddings.js';
import { encodePrompt, tokenArg, tokenLabel, visible } from '../../inspect/prompt.js';
import { grid } from '../../inspect/render/terminal.js';
import { heatmapSvg, scatterSvg } from '../../inspect/render/svg.js';
import { htmlPage } from '../../inspect/render/html.js';
import { tokenizeCorpus, trainWord2Vec } from '../../inspect/word2vec.js';
import { formatWord2VecText, parseWord2VecText } from '../../inspect/word2vec-io.js';
import { evaluateAnalogies, type Neighbour, VectorIndex } from '../../inspect/word2vec-query.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption, seedOption, useColor } from '../model-args.js';
import { joinNegativeValues } from '../parse.js';
import { refuseInputAsOutput } from '../output-path.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFile } from '../../io/output-dir.js';

export const summary = 'word vectors: word2vec train/similar/analogy/evaluate, model embedding neighbours, contextual vectors';

const HELP = `usage: glasslm vectors <action> [options]

  train --file F --out V.txt     train word2vec on a text corpus (lowercased, split on whitespace)
      [--cbow] [--dim 100] [--window 5] [--negative 5] [--min-count 5] [--sample 1e-3]
      [--epochs 5] [--lr X] [--seed 1]
  similar WORD --vectors V.txt           nearest words by cosine
  analogy A B C --vectors V.txt          nearest words to A − B + C (king man woman -> queen)
  doesnt-match W1 W2 … --vectors V.txt   the word least like the others
  similarity A B --vectors V.txt         cosine similarity
  evaluate --vectors V.txt --file Q.txt  accuracy on analogy questions (questions-words.txt format)
  tokens TOKEN [--model M]               nearest tokens in the model's embedding matrix (TOKEN: text or #id)
  contextual WORD --sentence S … [--layer L] [--model M] [--svg OUT.svg | --html OUT.html]
                                         WORD's hidden state after block L in each sentence: cosine matrix and 2-D PCA

  --top K      neighbours to show (default 10)
  --json       print the result as JSON
  --no-color   plain text`;

function printNeighbours(list: readonly Neighbour[]): void {
  for (const n of list) console.log(`${n.score.toFixed(4).padStart(8)}  ${n.word}`);
}

export async function run(argv: string[]): Promise<number> {
  const options = {
    ...MODEL_OPTIONS, file: { type: 'string' }, out: { type: 'string' }, vectors: { type: 'string' }, cbow: { type: 'boolean' },
    dim: { type: 'string' }, window: { type: 'string' }, negative: { type: 'string' }, 'min-count': { type: 'string' }, sample: { type: 'string' },
    epochs: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, top: { type: 'string' }, sentence: { type: 'string', multiple: true },
    layer: { type: 'string' }, svg: { type: 'string' }, html: { type: 'string' }, json: { type: 'boolean' }, 'no-color': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: true });
  if (values.out && positionals[0] === 'train') checkOutputFile(values.out, '--out'); // before any work
  if (values.svg) checkOutputFile(values.svg, '--svg'); // before any work
  if (values.html) checkOutputFile(values.html, '--html'); // before any work
  const [action, ...args] = positionals;
  if (values.help || !action) {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  const top = intOption('top', values.top, 10, 1, 100000);
  const loadVectors = () => {
    if (!values.vectors) throw new Error(`${action} needs --vectors V.txt (a word2vec text file, e.g. from 'glasslm vectors train')`);
    return new VectorIndex(parseWord2VecText(readFileSync(values.vectors, 'utf8')));
  };
  const need = (n: number, what: string) => {
    if (args.length !== n) throw new Error(`${action} takes ${what}`);
  };
  const out = (json: unknown, print: () => void) => (values.json ? console.log(JSON.stringify(json)) : print());

  switch (action) {
    case 'train': {
      if (!values.file || !values.out) throw new Error('train needs --file CORPUS and --out VECTORS.txt');
      refuseInputAsOutput('--out', values.out, { '--file': values.file }, 'file');
      const sentences = tokenizeCorpus(readFileSync(values.file, 'utf8'));
      const t0 = Date.now();
      const wv = trainWord2Vec(sentences, {
        model: values.cbow ? 'cbow' : 'skipgram', dim: numberOption('dim', values.dim, 100), window: numberOption('window', values.window, 5),
        negative: numberOption('negative', values.negative, 5), minCount: numberOption('min-count', values['min-count'], 5),
        sample: numberOption('sample', values.sample, 1e-3), epochs: numberOption('epochs', values.epochs, 5),
        lr: values.lr === undefined ? undefined : numberOption('lr', values.lr, 0), seed: seedOption(values.seed, 1),
        onEpoch: (e, lr) => process.stderr.write(`epoch ${e + 1} done, lr ${lr.toExponential(2)}\n`),
      });
      writeFileAtomic(values.out, formatWord2VecText(wv));
      const words = sentences.reduce((s, x) => s + x.length, 0);
      out({ words: wv.words.length, dim: wv.dim, corpusWords: words, seconds: (Date.now() - t0) / 1000, out: values.out },
        () => console.log(`trained ${values.cbow ? 'CBOW' : 'skip-gram'} on ${words} words: ${wv.words.length} vectors of ${wv.dim} in ${((Date.now() - t0) / 1000).toFixed(1)} s; wrote ${values.out}`));
      return 0;
    }
    case 'similar': {
      need(1, 'one word');
      const r = loadVectors().similar(args[0].toLowerCase(), top);
      out(r, () => printNeighbours(r));
      return 0;
    }
    case 'analogy': {
      need(3, 'three words A B C (A − B + C)');
      const [a, b, c] = args.map((w) => w.toLowerCase());
      const r = loadVectors().analogy(a, b, c, top);
      out(r, () => {
        console.log(`${a} − ${b} + ${c} ≈`);
        printNeighbours(r);
      });
      return 0;
    }
    case 'doesnt-match': {
      if (args.length < 2) throw new Error('doesnt-match takes two or more words');
      const r = loadVectors().doesntMatch(args.map((w) => w.toLowerCase()));
      out(r, () => console.log(`${r.word}  (cosine to the mean: ${r.scores.map((s) => `${s.word} ${s.score.toFixed(3)}`).join(', ')})`));
      return 0;
    }
    case 'similarity': {
      need(2, 'two words');
      const s = loadVectors().similarity(args[0].toLowerCase(), args[1].toLowerCase());
      out({ similarity: s }, () => console.log(s.toFixed(4)));
      return 0;
    }
    case 'evaluate': {
      if (!values.file) throw new Error('evaluate needs --file QUESTIONS (": section" lines, then "a b c d" lines)');
      const r = evaluateAnalogies(loadVectors(), readFileSync(values.file, 'utf8'));
      if (r.total === 0) throw new Error(`none of the ${r.skipped} questions in ${values.file} has all four words in the vocabulary of ${values.vectors}: nothing to score`);
      out(r, () => {
        for (const s of r.sections) console.log(`${s.name.padEnd(28)} ${String(s.correct).padStart(5)} / ${String(s.total).padEnd(5)} ${s.total ? ((100 * s.correct) / s.total).toFixed(1) : '-'}%  (${s.skipped} skipped)`);
        console.log(`${'total'.padEnd(28)} ${String(r.correct).padStart(5)} / ${String(r.total).padEnd(5)} ${(100 * r.accuracy).toFixed(1)}%  (${r.skipped} skipped: words outside the vocabulary)`);
      });
      return 0;
    }
    case 'tokens': {
      need(1, 'one token (text or #id)');
      const { model, tokenizer } = loadModelAndTokenizer(values);
      const decode = tokenLabel(tokenizer);
      const r = nearestTokens(model, tokenArg(tokenizer, model.config.vocabSize, args[0], 'token'), top, decode);
      out(r, () => {
        console.log(`nearest tokens to ${JSON.stringify(r.token)} (id ${r.id}) in the embedding matrix, by cosine`);
        for (const n of r.neighbours) console.log(`${n.score.toFixed(4).padStart(8)}  ${JSON.stringify(n.token)} (${n.id})`);
      });
      return 0;
    }
    case 'contextual': {
      need(1, 'one word, and two or more --sentence');
      const { model, tokenizer } = loadModelAndTokenizer(values);
      const layer = intOption('layer', values.layer, model.config.layers - 1, 0, model.config.layers - 1);
      const r = contextualVectors(model, values.sentence ?? [], args[0], layer, (text) => encodePrompt(tokenizer, text));
      const labels = r.sentences.map((s, i) => `${i + 1}: ${s}`);
      const scatter = scatterSvg(`"${r.word}" after block ${layer}: PCA (${(100 * r.explained[0]).toFixed(0)}% + ${(100 * r.explained[1]).toFixed(0)}% of the variance)`, r.points, labels);
      if (values.svg) writeFileAtomic(values.svg, scatter);
      if (values.html) {
        const short = r.sentences.map((_, i) => String(i + 1));
        writeFileAtomic(values.html, htmlPage(`contextual vectors of "${r.word}"`, [
          { text: labels.join(' | ') },
          { heading: 'cosine similarity', svg: heatmapSvg({ title: r.hook, rowLabels: short, colLabels: short, values: r.similarity, text: r.similarity.map((row) => row.map((v) => v.toFixed(2))), cell: 44 }) },
          { heading: '2-D PCA', svg: scatter },
        ]));
      }
      out(r, () => {
        console.log(`"${r.word}" at ${r.hook}; cosine similarity between sentences`);
        r.sentences.forEach((s, i) => console.log(`  ${i + 1}: ${s}   (token ${r.positions[i]}: ${JSON.stringify(visible(tokenLabel(tokenizer)(encodePrompt(tokenizer, s)[r.positions[i]])))})`));
        const idx = r.sentences.map((_, i) => String(i + 1));
        console.log(grid(idx, idx, r.similarity.map((row) => row.map((v) => ({ text: v.toFixed(2), value: v }))), { width: 5, color: useColor(values['no-color']) }));
        console.log(`PCA: ${r.points.map((p, i) => `${i + 1} (${p[0].toFixed(2)}, ${p[1].toFixed(2)})`).join('  ')}`);
        if (values.svg) console.log(`wrote ${values.svg}`);
        if (values.html) console.log(`wrote ${values.html}`);
      });
      return 0;
    }
    default:
      throw new Error(`unknown action '${action}' (train, similar, analogy, doesnt-match, similarity, evaluate, tokens, contextual)`);
  }
}
