// GPT-2's original files: vocab.json (= encoder.json) and merges.txt (= vocab.bpe).
import { ByteLevelBPE } from './bpe.js';
import { parseJson, splitMergeLine, vocabFromObject } from './parse.js';
import { GPT2_PATTERN, regexPretokenizer } from './pretokenize.js';

export const ENDOFTEXT = '<|endoftext|>';

/** Parses the two files' text. `<|endoftext|>`, when in the vocabulary, is the special token (and bos/eos). */
export function gpt2FromText(vocabJson: string, mergesTxt: string, names = { vocab: 'vocab.json', merges: 'merges.txt' }): ByteLevelBPE {
  const vocab = vocabFromObject(parseJson(vocabJson, names.vocab), names.vocab);
  const merges: [string, string][] = [];
  const lines = mergesTxt.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    merges.push(splitMergeLine(line, `${names.merges} line ${i + 1}`));
  });
  const specialTokens = new Map<string, number>();
  const eot = vocab.get(ENDOFTEXT);
  if (eot !== undefined) {
    specialTokens.set(ENDOFTEXT, eot);
    vocab.delete(ENDOFTEXT); // it is special text, not byte-level text
  }
  return new ByteLevelBPE({
    vocab,
    merges,
    specialTokens,
    pretokenizer: regexPretokenizer(GPT2_PATTERN),
    pattern: GPT2_PATTERN,
    patternName: 'gpt2',
    bos: eot,
    eos: eot,
  });
}
