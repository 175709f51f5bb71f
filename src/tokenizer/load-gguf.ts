// The vocabulary in a GGUF file's metadata (tokenizer.ggml.* keys).
//
// - model 'gpt2': byte-level BPE. tokens are byte-level strings, merges "a b" strings, and
//   tokenizer.ggml.pre names the pre-tokenizer ('gpt-2', 'llama-bpe', 'qwen2', ...).
// - model 'llama': SentencePiece. tokens with scores, spaces written "▁", byte tokens <0xNN>.
// token_type: 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte.
import { ByteLevelBPE } from './bpe.js';
import { readGgufMetadata, type GgufValue } from './gguf-metadata.js';
import { splitMergeLine } from './parse.js';
import { CL100K_PATTERN, GPT2_PATTERN, QWEN2_PATTERN, patternName, regexPretokenizer } from './pretokenize.js';
import { ScoredBPE } from './scored-bpe.js';
import type { Tokenizer } from './types.js';

/** tokenizer.ggml.pre -> the pre-tokenizer pattern (llama.cpp's names). */
const PRE_PATTERNS: Readonly<Record<string, string>> = {
  'default': GPT2_PATTERN,
  'gpt-2': GPT2_PATTERN,
  'gpt2': GPT2_PATTERN,
  'llama-bpe': CL100K_PATTERN,
  'llama3': CL100K_PATTERN,
  'qwen2': QWEN2_PATTERN,
  'smollm': GPT2_PATTERN,
};

const TOKEN_CONTROL = 3;
const TOKEN_USER_DEFINED = 4;

function stringArray(kv: Map<string, GgufValue>, key: string, what: string): string[] {
  const v = kv.get(key);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${what}: '${key}' is missing or not an array of strings`);
  return v as string[];
}

function numberArray(kv: Map<string, GgufValue>, key: string, what: string, length: number): number[] | undefined {
  const v = kv.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`${what}: '${key}' is not an array of numbers`);
  if (v.length !== length) throw new Error(`${what}: '${key}' has ${v.length} entries, but there are ${length} tokens`);
  return v as number[];
}

function optionalId(kv: Map<string, GgufValue>, key: string, what: string, n: number): number | undefined {
  const v = kv.get(key);
  if (v === undefined) return undefined;
  const id = typeof v === 'bigint' ? Number(v) : v;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n) throw new Error(`${what}: '${key}' = ${String(v)} is not a token id below ${n}`);
  return id;
}

export function tokenizerFromGguf(buf: Uint8Array, what = 'GGUF file'): Tokenizer {
  const { kv } = readGgufMetadata(buf, what);
  const model = kv.get('tokenizer.ggml.model');
  if (model === undefined) throw new Error(`${what}: has no vocabulary (no 'tokenizer.ggml.model' key)`);
  const tokens = stringArray(kv, 'tokenizer.ggml.tokens', what);
  const types = numberArray(kv, 'tokenizer.ggml.token_type', what, tokens.length);
  const bos = optionalId(kv, 'tokenizer.ggml.bos_token_id', what, tokens.length);
  const eos = optionalId(kv, 'tokenizer.ggml.eos_token_id', what, tokens.length);
  const isSpecial = (id: number): boolean => types !== undefined && (types[id] === TOKEN_CONTROL || types[id] === TOKEN_USER_DEFINED);
  if (model === 'gpt2') return gpt2Gguf(kv, tokens, isSpecial, bos, eos, what);
  if (model === 'llama') return llamaGguf(kv, tokens, types, bos, eos, what);
  throw new Error(`${what}: tokenizer model '${String(model)}' is not supported ('gpt2' and 'llama' are)`);
}

function gpt2Gguf(
  kv: Map<string, GgufValue>, tokens: string[], isSpecial: (id: number) => boolean,
  bos: number | undefined, eos: number | undefined, what: string,
): ByteLevelBPE {
  const merges = stringArray(kv, 'tokenizer.ggml.merges', what).map((m, i) => splitMergeLine(m, `${what}: tokenizer.ggml.merges[${i}]`));
  const pre = kv.get('tokenizer.ggml.pre') ?? 'default';
  const pattern = PRE_PATTERNS[String(pre)];
  if (pattern === undefined) {
    throw new Error(`${what}: pre-tokenizer '${String(pre)}' is not known (known: ${Object.keys(PRE_PATTERNS).join(', ')})`);
  }
  const vocab = new Map<string, number>();
  const specialTokens = new Map<string, number>();
  tokens.forEach((t, id) => {
    if (isSpecial(id) && t.length > 1) specialTokens.set(t, id);
    else if (!vocab.has(t)) vocab.set(t, id);
  });
  return new ByteLevelBPE({
    vocab, merges, specialTokens, bos, eos,
    pretokenizer: regexPretokenizer(pattern),
    pattern,
    patternName: patternName(pattern),
  });
}

function llamaGguf(
  kv: Map<string, GgufValue>, tokens: string[], types: number[] | undefined,
  bos: number | undefined, eos: number | undefined, what: string,
): ScoredBPE {
  const scores = numberArray(kv, 'tokenizer.ggml.scores', what, tokens.length);
  if (scores === undefined) throw new Error(`${what}: a 'llama' vocabulary needs 'tokenizer.ggml.scores'`);
  const enc = new TextEncoder();
  const pieces = tokens.map((t) => enc.encode(t));
  const byteToId = new Int32Array(256).fill(-1);
  tokens.forEach((t, id) => {
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
    if (m) byteToId[parseInt(m[1]!, 16)] = id;
  });
  for (let b = 0; b < 256; b++) if (byteToId[b]! < 0) throw new Error(`${what}: the vocabulary has no byte-fallback token <0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const controlIds = new Set<number>();
  const specialTokens = new Map<string, number>();
  tokens.forEach((t, id) => {
    if (types?.[id] === TOKEN_CONTROL) controlIds.add(id);
    if (types?.[id] === TOKEN_CONTROL || types?.[id] === TOKEN_USER_DEFINED) specialTokens.set(t, id);
  });
  const addPrefix = kv.get('tokenizer.ggml.add_space_prefix');
  return new ScoredBPE({
    pieces, scores: Float32Array.from(scores), byteToId, controlIds,
    space: '\u2581', addDummyPrefix: addPrefix !== false,
    specialTokens, bos, eos,
    description: `SentencePiece (GGUF llama) scored BPE, ${tokens.length} tokens`,
  });
}
