// Fuzz targets over every loader: each builds a small valid file in memory, then mutates it, with
// random bytes and, above all, with hostile values in the fields that are counts and sizes
// (GGUF tensor/kv counts, string and array lengths, dims, offsets; safetensors shapes, offsets
// and header length; llama2.c header ints; config.json sizes; tokenizer ids). For every case the
// load must either succeed with sane results or throw a plain Error with a message. The cases
// run in a child process (test/fuzz-worker.ts) so a hang or a runaway allocation is caught by the
// parent's time and memory bounds, with the case that caused it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../src/io/gguf/read.js';
import { readLlama2c, type Llama2cConfig } from '../src/io/llama2c.js';
import { writeLlama2c } from '../src/io/llama2c-write.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import type { ModelConfig } from '../src/models/config.js';
import { configToHf } from '../src/models/config.js';
import { loadHfModel, loadModel } from '../src/models/load-file.js';
import { Model } from '../src/models/model.js';
import { tokenizerToGgufMetadata } from '../src/models/save.js';
import { saveGgufModel } from '../src/models/save-file.js';
import { gguf } from '../src/io/gguf/metadata.js';
import { GgufType } from '../src/io/gguf/constants.js';
import { writeGguf } from '../src/io/gguf/write.js';
import * as op from '../src/ops/index.js';
import { llama2cFromBuffer } from '../src/tokenizer/load-llama2c.js';
import { tokenizerFromGguf } from '../src/tokenizer/load-gguf.js';
import { tokenizerFromHfJson } from '../src/tokenizer/load-hf-json.js';
import { toHfJson } from '../src/tokenizer/save-hf-json.js';
import { trainBpe } from '../src/tokenizer/train.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { readFileSync } from 'node:fs';

/** mulberry32: a small seeded PRNG, so every failure is reproducible. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (rand: Rand, n: number) => Math.floor(rand() * n);

/** A field of a binary file that holds a count, a size, an offset or a type. */
interface Field { at: number; bytes: 4 | 8; name: string }

/** Hostile values for a count or size field that held `old`. */
function hostile(rand: Rand, old: bigint, bytes: 4 | 8): bigint {
  const max = bytes === 4 ? 2n ** 32n - 1n : 2n ** 64n - 1n;
  const v = pick(rand, [0n, 1n, max, max >> 1n, 2n ** 31n, 2n ** 31n - 1n, 10n ** 6n, 10n ** 9n, 10n ** 12n, 2n ** 53n, 2n ** 53n + 1n,
    old + 1n, old - 1n, old * 2n, old / 2n, old * 1000n, 3n]);
  return ((v % (max + 1n)) + (max + 1n)) % (max + 1n);
}

function setField(bytes: Uint8Array, f: Field, v: bigint): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (f.bytes === 4) view.setUint32(f.at, Number(v), true);
  else view.setBigUint64(f.at, v, true);
}

function getField(bytes: Uint8Array, f: Field): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return f.bytes === 4 ? BigInt(view.getUint32(f.at, true)) : view.getBigUint64(f.at, true);
}

/** Byte-level damage: a truncation, bit flips, or random bytes (mostly in the first `head` bytes). */
function byteMutation(src: Uint8Array, rand: Rand, head: number): { bytes: Uint8Array; what: string } {
  const kind = int(rand, 3);
  if (kind === 0) {
    const len = int(rand, src.length);
    return { bytes: src.slice(0, len), what: `truncated to ${len}` };
  }
  const bytes = src.slice();
  const where = () => (rand() < 0.8 ? int(rand, Math.min(head, src.length)) : int(rand, src.length));
  if (kind === 1) {
    const n = 1 + int(rand, 8);
    for (let i = 0; i < n; i++) bytes[where()] ^= 1 << int(rand, 8);
    return { bytes, what: `${n} bit flips` };
  }
  const at = where();
  for (let i = 0; i < 4 && at + i < bytes.length; i++) bytes[at + i] = int(rand, 256);
  return { bytes, what: `random bytes at ${at}` };
}

/** A NaN or an infinity written as float32 somewhere after the header (a weight gone bad). */
function poisonMutation(src: Uint8Array, rand: Rand, head: number): { bytes: Uint8Array; what: string } {
  const bytes = src.slice();
  const at = head + 4 * int(rand, Math.max(1, Math.floor((src.length - head - 4) / 4)));
  const v = pick(rand, [NaN, Infinity, -Infinity]);
  if (at + 4 <= bytes.length) new DataView(bytes.buffer).setFloat32(at, v, true);
  return { bytes, what: `float32 ${v} at ${at}` };
}

/** A count/size field set to a hostile value (65%), a non-finite float (10%), else byte damage. */
function binaryMutation(src: Uint8Array, fields: readonly Field[], rand: Rand, head: number): { bytes: Uint8Array; what: string } {
  const r = rand();
  if (r >= 0.65 && r < 0.75 && head < src.length - 4) return poisonMutation(src, rand, head);
  if (fields.length === 0 || r >= 0.65) return byteMutation(src, rand, head);
  const bytes = src.slice();
  const n = rand() < 0.8 ? 1 : 2;
  const whats: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = pick(rand, fields);
    const v = hostile(rand, getField(src, f), f.bytes);
    setField(bytes, f, v);
    whats.push(`${f.name} = ${v}`);
  }
  return { bytes, what: whats.join(', ') };
}

/** The count, size, type and offset fields of a GGUF file (walked as the reader walks it). */
function ggufFields(b: Uint8Array): Field[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: Field[] = [{ at: 8, bytes: 8, name: 'tensor_count' }, { at: 16, bytes: 8, name: 'kv_count' }];
  let p = 24;
  const str = (name: string) => { fields.push({ at: p, bytes: 8, name: `${name} length` }); const n = Number(view.getBigUint64(p, true)); p += 8; const s = new TextDecoder().decode(b.subarray(p, p + n)); p += n; return s; };
  const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (type: number, name: string, record: boolean) => {
    if (type === 8) { if (record) str(name); else { const n = Number(view.getBigUint64(p, true)); p += 8 + n; } return; }
    if (type === 9) {
      const item = view.getUint32(p, true);
      fields.push({ at: p, bytes: 4, name: `${name} element type` });
      p += 4;
      fields.push({ at: p, bytes: 8, name: `${name} count` });
      const n = Number(view.getBigUint64(p, true));
      p += 8;
      for (let i = 0; i < n; i++) value(item, `${name}[${i}]`, record && i < 3);
      return;
    }
    if (record && (type === 4 || type === 5)) fields.push({ at: p, bytes: 4, name });
    if (record && (type === 10 || type === 11)) fields.push({ at: p, bytes: 8, name });
    p += SIZES[type];
  };
  const kvs = Number(view.getBigUint64(16, true));
  for (let i = 0; i < kvs; i++) {
    const key = str(`key ${i}`);
    const type = view.getUint32(p, true);
    fields.push({ at: p, bytes: 4, name: `${key} type` });
    p += 4;
    value(type, key, true);
  }
  const tensors = Number(view.getBigUint64(8, true));
  for (let i = 0; i < tensors; i++) {
    const name = str(`tensor ${i} name`);
    const dims = view.getUint32(p, true);
    fields.push({ at: p, bytes: 4, name: `${name} n_dims` });
    p += 4;
    for (let d = 0; d < dims; d++) { fields.push({ at: p, bytes: 8, name: `${name} dim ${d}` }); p += 8; }
    fields.push({ at: p, bytes: 4, name: `${name} type` });
    p += 4;
    fields.push({ at: p, bytes: 8, name: `${name} offset` });
    p += 8;
  }
  return fields;
}

/** A JSON value a size or id field could be set to by a hostile file. */
function hostileJson(rand: Rand, old: unknown): unknown {
  const n = typeof old === 'number' ? old : 1;
  return pick(rand, [0, -1, 0.5, 1e6, 1e9, 1e12, 2 ** 31, 2 ** 32, 2 ** 53, -1e-5, 1e308, null, 'x', true, [], {}, [1, 2], n + 1, n - 1, n * 2, -n]);
}

/** Sets a hostile value at a random path of a JSON value (numbers are the preferred targets). */
function mutateJson(root: unknown, rand: Rand): { value: unknown; what: string } {
  if (rand() < 0.05) {
    const v = pick(rand, [null, [], 5, 'x', {}]);
    return { value: v, what: `the whole file = ${JSON.stringify(v)}` };
  }
  const copy = JSON.parse(JSON.stringify(root));
  // collect paths of leaves, numbers first
  const numbers: (string | number)[][] = [], others: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (path.length > 6) return;
    if (Array.isArray(v)) v.slice(0, 12).forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v).slice(0, 40)) walk(x, [...path, k]);
    else (typeof v === 'number' ? numbers : others).push(path);
  };
  walk(copy, []);
  const list = numbers.length > 0 && (others.length === 0 || rand() < 0.75) ? numbers : others;
  if (list.length === 0) return { value: copy, what: 'unchanged' };
  const path = pick(rand, list);
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path[path.length - 1];
  if (rand() < 0.1 && !Array.isArray(parent)) {
    delete parent[key];
    return { value: copy, what: `deleted ${path.join('.')}` };
  }
  const v = hostileJson(rand, parent[key]);
  parent[key] = v;
  return { value: copy, what: `${path.join('.')} = ${JSON.stringify(v)}` };
}

/** Text a tokenizer must encode after loading (exercises added and special tokens too). */
const SAMPLE = 'Once upon a time, the cat <|endoftext|> sat. 123 ünïcödé';

function useTokenizer(tok: Tokenizer): void {
  const ids = tok.encode(SAMPLE, { allowedSpecial: 'all' });
  if (ids.some((id) => !Number.isInteger(id) || id < 0 || id >= tok.vocabSize)) throw new TypeError('encode gave an id outside the vocabulary');
  tok.decode(ids);
}

function checkModel(m: Model): void {
  for (const [name, p] of m.params) {
    const d = p.data() as Float32Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) throw new TypeError(`loaded a non-finite weight in ${name}`);
  }
}

export interface FuzzCase { what: string; run(): void }
export interface FuzzTarget { name: string; cases(n: number, seed: number): Generator<FuzzCase> }

const LLAMA: ModelConfig = {
  arch: 'llama', vocabSize: 300, contextLength: 32, dim: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 8, mlpHidden: 32,
  normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, tiedEmbeddings: false,
};
const GPT2: ModelConfig = { arch: 'gpt2', vocabSize: 300, contextLength: 32, dim: 16, layers: 2, heads: 2, mlpHidden: 64, normEps: 1e-5 };

let workDir: string | undefined;
function scratch(name: string): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'glasslm-fuzz-'));
  return join(workDir, name);
}
export function cleanScratch(): void {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

function bpe(): Tokenizer {
  const text = 'the cat sat on the mat. the dog ran to the park. once upon a time there was a cat. '.repeat(20);
  return trainBpe(text, { vocabSize: 290, specialTokens: ['<|endoftext|>'] });
}

/** A llama2.c tokenizer.bin: <unk>, <s>, </s>, the 256 byte tokens, then some words with scores. */
function llama2cTokenizerBytes(): Uint8Array {
  const words = ['▁the', '▁cat', '▁sat', 'at', 'th', '▁a', 'he', '▁once', '▁upon', '▁time'];
  const pieces = ['<unk>', '\n<s>\n', '\n</s>\n', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), ...words.map((w) => w.replace(/▁/g, ' '))];
  const enc = pieces.map((p) => new TextEncoder().encode(p));
  const out = new Uint8Array(4 + enc.reduce((n, p) => n + 8 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setInt32(0, Math.max(...enc.map((p) => p.length)), true);
  let at = 4;
  enc.forEach((p, i) => { view.setFloat32(at, i < 259 ? 0 : -i, true); view.setInt32(at + 4, p.length, true); out.set(p, at + 8); at += 8 + p.length; });
  return out;
}

function* generate(n: number, seed: number, one: (rand: Rand, i: number) => FuzzCase): Generator<FuzzCase> {
  const rand = prng(seed);
  for (let i = 0; i < n; i++) yield one(rand, i);
}

export const TARGETS: Record<string, () => FuzzTarget> = {
  safetensors: () => {
    const model = Model.init(LLAMA, new op.Rng(1));
    const tensors = [...model.params].map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data() as Float32Array) }));
    const src = writeSafetensors(tensors);
    const headerLen = Number(new DataView(src.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(src.subarray(8, 8 + headerLen)));
    const dir = scratch('st');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configToHf(LLAMA)));
    return {
      name: 'safetensors',
      cases: (n, seed) => generate(n, seed, (rand) => {
        let bytes: Uint8Array, what: string;
        if (rand() < 0.5) {
          // a shape, offset or dtype in the JSON header, or the header length
          const m = mutateJson(header, rand);
          if (rand() < 0.3 && typeof m.value === 'object' && m.value && !Array.isArray(m.value)) {
            const names = Object.keys(m.value);
            const entry = (m.value as Record<string, Record<string, unknown>>)[pick(rand, names)];
            if (entry && typeof entry === 'object') entry.dtype = pick(rand, ['F16', 'BF16', 'F64', 'I64', 'U8', 'F8_E4M3', 'x', 7]);
            m.what += ', a dtype changed';
          }
          const json = new TextEncoder().encode(JSON.stringify(m.value));
          bytes = new Uint8Array(8 + json.length + (src.length - 8 - headerLen));
          new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
          bytes.set(json, 8);
          bytes.set(src.subarray(8 + headerLen), 8 + json.length);
          what = `header ${m.what}`;
        } else {
          ({ bytes, what } = binaryMutation(src, [{ at: 0, bytes: 8, name: 'header length' }], rand, 8 + headerLen));
        }
        return {
          what,
          run() {
            for (const t of readSafetensors(bytes).values()) {
              if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new TypeError(`${t.name}: data length does not match the shape`);
            }
            writeFileSync(join(dir, 'model.safetensors'), bytes);
            checkModel(loadHfModel(dir));
          },
        };
      }),
    };
  },

  config: () => {
    const dirs = [GPT2, LLAMA].map((c, k) => {
      const dir = scratch(`config-${k}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.safetensors'), writeSafetensors([...Model.init(c, new op.Rng(2)).params].map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data() as Float32Array) }))));
      return { dir, hf: configToHf(c) };
    });
    return {
      name: 'config.json',
      cases: (n, seed) => generate(n, seed, (rand) => {
        const { dir, hf } = pick(rand, dirs);
        const m = mutateJson(hf, rand);
        const text = rand() < 0.1 ? JSON.stringify(m.value).slice(0, int(rand, 40)) : JSON.stringify(m.value);
        return { what: `${hf.model_type}: ${m.what}`, run() { writeFileSync(join(dir, 'config.json'), text); checkModel(loadHfModel(dir)); } };
      }),
    };
  },

  gguf: () => {
    const path = scratch('m.gguf');
    saveGgufModel(Model.init({ ...LLAMA, tiedEmbeddings: true }, new op.Rng(3)), path, { dtype: 'q8_0' });
    const src = new Uint8Array(readFileSync(path));
    const fields = ggufFields(src);
    const headerEnd = fields[fields.length - 1].at + 8;
    const out = scratch('fuzz.gguf');
    return {
      name: 'GGUF',
      cases: (n, seed) => generate(n, seed, (rand) => {
        const { bytes, what } = binaryMutation(src, fields, rand, headerEnd);
        return {
          what,
          run() {
            readGguf(bytes);
            writeFileSync(out, bytes);
            checkModel(loadModel(out));
          },
        };
      }),
    };
  },

  llama2c: () => {
    const c: Llama2cConfig = { dim: 16, hiddenDim: 32, nLayers: 2, nHeads: 2, nKvHeads: 1, vocabSize: 64, seqLen: 16, sharedClassifier: true };
    const model = Model.init({ ...LLAMA, vocabSize: 64, contextLength: 16, tiedEmbeddings: true }, new op.Rng(4));
    const tensors = new Map([...model.params].map(([name, t]) => [name, { name, shape: [...t.shape], data: Float32Array.from(t.data() as Float32Array) }]));
    const sources = ([0, 1, 2] as const).map((version) => {
      const bytes = writeLlama2c(c, tensors, { version, groupSize: 16 });
      const base = version === 0 ? 0 : 8;
      const fields: Field[] = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'].map((name, i) => ({ at: base + 4 * i, bytes: 4, name }));
      if (version > 0) fields.push({ at: 4, bytes: 4, name: 'version' });
      if (version === 2) fields.push({ at: 37, bytes: 4, name: 'group_size' });
      return { version, bytes, fields, head: version === 0 ? 28 : 256 };
    });
    const out = scratch('fuzz.bin');
    return {
      name: 'llama2.c',
      cases: (n, seed) => generate(n, seed, (rand) => {
        const s = pick(rand, sources);
        const { bytes, what } = binaryMutation(s.bytes, s.fields, rand, s.head);
        return { what: `v${s.version}: ${what}`, run() { readLlama2c(bytes); writeFileSync(out, bytes); checkModel(loadModel(out)); } };
      }),
    };
  },

  'tokenizer.json': () => {
    const json = toHfJson(bpe() as never) as Record<string, unknown>;
    const text = JSON.stringify(json);
    return {
      name: 'tokenizer.json',
      cases: (n, seed) => generate(n, seed, (rand) => {
        let input: unknown, what: string;
        const r = rand();
        if (r < 0.35) {
          // an id in the vocabulary or in added_tokens, or an added token's content
          const copy = JSON.parse(text);
          const vocab = copy.model.vocab as Record<string, number>;
          const keys = Object.keys(vocab);
          if (rand() < 0.5) {
            const k = pick(rand, keys);
            vocab[k] = rand() < 0.3 ? vocab[pick(rand, keys)] : (hostileJson(rand, vocab[k]) as number);
            what = `vocab[${JSON.stringify(k)}] = ${JSON.stringify(vocab[k])}`;
          } else {
            const added = copy.added_tokens as Record<string, unknown>[];
            const t = added[0];
            const field = pick(rand, ['id', 'content', 'special']);
            t[field] = field === 'content' ? pick(rand, ['', ' ', 'the', '<|endoftext|>x', 'a'.repeat(5000)]) : hostileJson(rand, t[field]);
            if (rand() < 0.3) added.push({ ...t, id: pick(rand, [t.id, 0, 5, 289, 290]), content: pick(rand, ['<|x|>', '', String(t.content)]) });
            what = `added_tokens ${JSON.stringify(added).slice(0, 120)}`;
          }
          input = copy;
        } else if (r < 0.7) {
          const m = mutateJson(json, rand);
          input = m.value;
          what = m.what;
        } else if (r < 0.8) {
          // a pre-tokenizer pattern or merge line that is not what it should be
          const copy = JSON.parse(text);
          const bad = pick(rand, ['(', '[', '\\', '(?<', '.*', '', 'a|', '(a)(?=b']);
          if (rand() < 0.5) copy.pre_tokenizer = { type: 'Split', pattern: { Regex: bad }, behavior: 'Isolated' };
          else copy.model.merges[int(rand, copy.model.merges.length)] = pick(rand, [bad, 'a b c', ' ', 'zz qq', ['a'], 5]);
          input = copy;
          what = `pattern or merge ${JSON.stringify(bad)}`;
        } else {
          const { bytes, what: w } = byteMutation(new TextEncoder().encode(text), rand, text.length);
          input = new TextDecoder().decode(bytes);
          what = w;
        }
        return {
          what,
          run() {
            let parsed = input;
            if (typeof input === 'string') {
              try {
                parsed = JSON.parse(input);
              } catch {
                parsed = input; // not JSON: the loader gets the string and must refuse it
              }
            }
            useTokenizer(tokenizerFromHfJson(parsed));
          },
        };
      }),
    };
  },

  'GGUF vocabulary': () => {
    const sources = [bpe(), llama2cFromBuffer(llama2cTokenizerBytes())].map((tok) => {
      const meta = tokenizerToGgufMetadata(tok, tok.vocabSize);
      meta.set('general.architecture', gguf.str('llama'));
      const bytes = writeGguf({ metadata: meta, tensors: [] });
      return { meta, bytes, fields: ggufFields(bytes) };
    });
    /** A token's text or type changed: empty, a duplicate, a byte token's text, a control type. */
    const tokenMutation = (s: (typeof sources)[number], rand: Rand): { bytes: Uint8Array; what: string } => {
      const meta = new Map(s.meta);
      const tokens = [...(meta.get('tokenizer.ggml.tokens')!.value as { items: string[] }).items];
      const types = [...(meta.get('tokenizer.ggml.token_type')!.value as { items: number[] }).items];
      const id = rand() < 0.5 ? tokens.length - 1 - int(rand, 10) : int(rand, tokens.length); // the tail: words and special tokens
      tokens[id] = pick(rand, ['', ' ', '<0x41>', tokens[int(rand, tokens.length)], '<|endoftext|>', 'a'.repeat(3000)]);
      if (rand() < 0.7) types[id] = pick(rand, [3, 4, 3, 4, 1, 2, 5, 6, 0, 99, -1]);
      meta.set('tokenizer.ggml.tokens', gguf.array(GgufType.STRING, tokens));
      meta.set('tokenizer.ggml.token_type', gguf.array(GgufType.INT32, types));
      return { bytes: writeGguf({ metadata: meta, tensors: [] }), what: `token ${id} = ${JSON.stringify(tokens[id].slice(0, 20))}, type ${types[id]}` };
    };
    return {
      name: 'GGUF vocabulary',
      cases: (n, seed) => generate(n, seed, (rand) => {
        const s = pick(rand, sources);
        const { bytes, what } = rand() < 0.35 ? tokenMutation(s, rand) : binaryMutation(s.bytes, s.fields, rand, s.bytes.length);
        return { what, run() { useTokenizer(tokenizerFromGguf(bytes)); } };
      }),
    };
  },

  'llama2.c vocabulary': () => {
    const src = llama2cTokenizerBytes();
    const fields: Field[] = [{ at: 0, bytes: 4, name: 'max_token_length' }];
    for (let at = 4, i = 0; at < src.length; i++) {
      const len = new DataView(src.buffer).getInt32(at + 4, true);
      fields.push({ at: at + 4, bytes: 4, name: `token ${i} length` });
      at += 8 + len;
    }
    return {
      name: 'llama2.c vocabulary',
      cases: (n, seed) => generate(n, seed, (rand) => {
        const { bytes, what } = binaryMutation(src, fields, rand, src.length);
        const vocab = rand() < 0.2 ? pick(rand, [undefined, 0, 1, 269, 270, 271, 1e9]) : undefined;
        return { what: `${what}${vocab === undefined ? '' : `, vocabSize ${vocab}`}`, run() { useTokenizer(llama2cFromBuffer(bytes, 'tokenizer.bin', vocab)); } };
      }),
    };
  },
};
