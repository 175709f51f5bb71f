// Hugging Face tokenizer.json, for byte-level BPE models (GPT-2, Llama-3, Qwen2, SmolLM, ...).
//
// Supported: model.type "BPE" with merges as "a b" strings or [a, b] pairs; pre_tokenizer
// ByteLevel (add_prefix_space, use_regex), Split with a Regex or String pattern and the
// 'Isolated' behaviour, and Sequence of those; normalizer null or NFC; added_tokens.
import { ByteLevelBPE } from './bpe.js';
import { isRecord, splitMergeLine, vocabFromObject } from './parse.js';
import { GPT2_PATTERN, patternName, regexPretokenizer, sequencePretokenizer, type Pretokenizer } from './pretokenize.js';

/** Optional hints from tokenizer_config.json: which added tokens are bos and eos. */
export interface HfTokenizerConfig {
  bos_token?: unknown;
  eos_token?: unknown;
}

interface PreTokenizerParts {
  steps: Pretokenizer[];
  patterns: string[];
  byteLevel: boolean;
}

function escapeForRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function parsePreTokenizer(pt: unknown, parts: PreTokenizerParts, where: string): void {
  if (!isRecord(pt)) throw new Error(`${where}: pre_tokenizer must be an object`);
  switch (pt.type) {
    case 'Sequence': {
      if (!Array.isArray(pt.pretokenizers)) throw new Error(`${where}: Sequence pre_tokenizer has no 'pretokenizers' array`);
      pt.pretokenizers.forEach((p, i) => parsePreTokenizer(p, parts, `${where}.pretokenizers[${i}]`));
      return;
    }
    case 'ByteLevel': {
      parts.byteLevel = true;
      const prefix = pt.add_prefix_space === true;
      const useRegex = pt.use_regex !== false;
      const split = useRegex ? regexPretokenizer(GPT2_PATTERN) : undefined;
      if (useRegex) parts.patterns.push(GPT2_PATTERN);
      if (!prefix && split) parts.steps.push(split);
      else if (prefix) {
        parts.steps.push((text, emit) => {
          const t = text.startsWith(' ') ? text : ' ' + text;
          if (split) split(t, emit);
          else emit(t);
        });
      }
      return;
    }
    case 'Split': {
      const pattern = pt.pattern;
      let source: string;
      if (isRecord(pattern) && typeof pattern.Regex === 'string') source = pattern.Regex;
      else if (isRecord(pattern) && typeof pattern.String === 'string') source = escapeForRegex(pattern.String);
      else throw new Error(`${where}: Split pre_tokenizer needs pattern {Regex: ...} or {String: ...}`);
      if (pt.behavior !== 'Isolated' || pt.invert === true) {
        throw new Error(`${where}: Split with behavior '${String(pt.behavior)}'${pt.invert ? ' and invert' : ''} is not supported (only 'Isolated')`);
      }
      parts.steps.push(regexPretokenizer(source));
      parts.patterns.push(source);
      return;
    }
    default:
      throw new Error(`${where}: pre_tokenizer type '${String(pt.type)}' is not supported (ByteLevel, Split, Sequence are)`);
  }
}

function tokenName(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (isRecord(x) && typeof x.content === 'string') return x.content;
  return undefined;
}

/** Builds a tokenizer from a parsed tokenizer.json. `what` names the source in errors. */
export function tokenizerFromHfJson(json: unknown, what = 'tokenizer.json', config: HfTokenizerConfig = {}): ByteLevelBPE {
  if (!isRecord(json)) throw new Error(`${what}: expected a JSON object`);
  const model = json.model;
  if (!isRecord(model)) throw new Error(`${what}: has no 'model' object`);
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new Error(`${what}: model type '${String(model.type)}' is not supported (only byte-level BPE)`);
  }
  if (model.byte_fallback === true) throw new Error(`${what}: a BPE with byte_fallback is SentencePiece-style, not byte-level; not supported`);
  const vocab = vocabFromObject(model.vocab, `${what}: model.vocab`);
  if (!Array.isArray(model.merges)) throw new Error(`${what}: model.merges must be an array`);
  const merges: [string, string][] = model.merges.map((m: unknown, i: number): [string, string] => {
    const where = `${what}: model.merges[${i}]`;
    if (typeof m === 'string') return splitMergeLine(m, where);
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw new Error(`${where}: expected "a b" or ["a", "b"], got ${JSON.stringify(m)}`);
  });

  const normalizer = json.normalizer;
  let normalize: ((s: string) => string) | undefined;
  if (normalizer !== null && normalizer !== undefined) {
    if (isRecord(normalizer) && normalizer.type === 'NFC') normalize = (s) => s.normalize('NFC');
    else throw new Error(`${what}: normalizer ${JSON.stringify(isRecord(normalizer) ? normalizer.type : normalizer)} is not supported (null or NFC)`);
  }

  const parts: PreTokenizerParts = { steps: [], patterns: [], byteLevel: false };
  if (json.pre_tokenizer !== null && json.pre_tokenizer !== undefined) parsePreTokenizer(json.pre_tokenizer, parts, `${what}: pre_tokenizer`);
  const decoderType = isRecord(json.decoder) ? json.decoder.type : undefined;
  if (!parts.byteLevel && decoderType !== 'ByteLevel') {
    throw new Error(`${what}: not a byte-level BPE (no ByteLevel pre_tokenizer or decoder); only byte-level BPE is supported`);
  }
  let pre = sequencePretokenizer(parts.steps.length > 0 ? parts.steps : [(t, emit) => emit(t)]);
  if (normalize) {
    const inner = pre;
    pre = (text, emit) => inner(normalize(text), emit);
  }

  const specialTokens = new Map<string, number>();
  const addedTokens = new Map<string, number>();
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw new Error(`${what}: added_tokens must be an array`);
  added.forEach((t: unknown, i: number) => {
    if (!isRecord(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || !Number.isInteger(t.id) || t.id < 0) {
      throw new Error(`${what}: added_tokens[${i}] needs a string 'content' and a non-negative integer 'id'`);
    }
    (t.special === false ? addedTokens : specialTokens).set(t.content, t.id);
    // Added tokens are plain text, not byte-level text: keep them out of the byte-level vocabulary.
    if (vocab.get(t.content) === t.id && t.content.length > 1) vocab.delete(t.content);
  });

  const special = (name: unknown): number | undefined => {
    const s = tokenName(name);
    return s === undefined ? undefined : (specialTokens.get(s) ?? addedTokens.get(s));
  };
  const guess = (names: string[]): number | undefined => {
    for (const n of names) if (specialTokens.has(n)) return specialTokens.get(n);
    return undefined;
  };
  const pattern = parts.patterns.length === 1 ? parts.patterns[0]! : parts.patterns.join(' then ');
  return new ByteLevelBPE({
    vocab,
    merges,
    specialTokens,
    addedTokens,
    pretokenizer: pre,
    pattern,
    patternName: parts.patterns.length === 1 ? (patternName(pattern) ?? 'custom regex') : `${parts.patterns.length}-step`,
    hfPreTokenizer: json.pre_tokenizer,
    bos: special(config.bos_token) ?? guess(['<|begin_of_text|>', '<|endoftext|>', '<s>', '<|im_start|>']),
    eos: special(config.eos_token) ?? guess(['<|end_of_text|>', '<|endoftext|>', '</s>', '<|im_end|>']),
  });
}
