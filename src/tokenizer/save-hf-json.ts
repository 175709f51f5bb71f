// Writes a byte-level BPE as a Hugging Face tokenizer.json, readable by the `tokenizers`
// library, transformers' PreTrainedTokenizerFast, and ./load-hf-json.ts.
import type { ByteLevelBPE } from './bpe.js';
import { GPT2_PATTERN } from './pretokenize.js';

/** The tokenizer.json object for a byte-level BPE. */
export function toHfJson(tok: ByteLevelBPE): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  const special = new Set([...tok.specialTokens.values(), ...tok.addedTokens.values()]);
  for (let id = 0; id < tok.vocabSize; id++) {
    const s = tok.idToToken(id);
    if (s !== undefined && !special.has(id)) vocab[s] = id;
  }
  const added = [
    ...[...tok.specialTokens].map(([content, id]) => ({ content, id, special: true })),
    ...[...tok.addedTokens].map(([content, id]) => ({ content, id, special: false })),
  ]
    .sort((a, b) => a.id - b.id)
    .map(({ content, id, special }) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special }));
  for (const t of added) vocab[t.content] = t.id; // HF keeps added tokens in the vocab too
  const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
  const preTokenizer =
    tok.hfPreTokenizer ??
    (tok.pattern === GPT2_PATTERN
      ? byteLevel(true)
      : {
          type: 'Sequence',
          pretokenizers: [{ type: 'Split', pattern: { Regex: tok.pattern }, behavior: 'Isolated', invert: false }, byteLevel(false)],
        });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: byteLevel(true),
    decoder: byteLevel(true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: tok.merges.map(([a, b]) => `${a} ${b}`), // "a b" strings: every tokenizers version reads these
    },
  };
}
