// Saving models as bytes (browser-safe): a Hugging Face folder (config.json + model.safetensors
// [+ tokenizer.json]) that transformers can load, or one GGUF file that llama.cpp can load (weights,
// hyperparameters and the vocabulary, as convert_hf_to_gguf.py writes them). A page offers these
// bytes as downloads; ./save-file.ts (Node) writes the same files to disk, atomically.
import { GgmlType, GgufType } from '../io/gguf/constants.js';
import { hfHeadCounts } from '../io/gguf/config.js';
import { gguf, type GgufMetadata } from '../io/gguf/metadata.js';
import { hfTensorsToGguf } from '../io/gguf/names.js';
import { type GgufTensorToWrite, type GgufToWrite, writeGguf } from '../io/gguf/write.js';
import { writeSafetensors } from '../io/safetensors.js';
import type { NamedTensor } from '../io/types.js';
import { ByteLevelBPE } from '../tokenizer/bpe.js';
import { CL100K_PATTERN, GPT2_PATTERN, QWEN2_PATTERN } from '../tokenizer/pretokenize.js';
import { toHfJson } from '../tokenizer/save-hf-json.js';
import { ScoredBPE } from '../tokenizer/scored-bpe.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { configToHf } from './config.js';
import type { Model } from './model.js';

/** Weight types a GGUF can be written in. */
export type GgufDtype = 'f32' | 'f16' | 'q8_0';

export interface SaveGgufOptions {
  dtype?: GgufDtype; // default 'f32'
  /** Written into tokenizer.ggml.* so the file carries its vocabulary (llama.cpp needs one). */
  tokenizer?: Tokenizer;
  /** general.name (default: the file's architecture). */
  name?: string;
}

/** The parameters as float32 NamedTensors (views of the model's storage, no copies for float32). */
export function namedParams(model: Model): NamedTensor[] {
  if (model.inferenceOnly) throw new Error(`${model.inferenceOnlyReason}: load it again (without --dtype) to save or convert it`);
  const out: NamedTensor[] = [];
  for (const [name, t] of model.params) {
    const data = t.data();
    out.push({ name, shape: [...t.shape], data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>) });
  }
  return out;
}

/** Refuses a tokenizer that tokenizer.json cannot hold (only byte-level BPE is written). */
export function checkHfTokenizer(tokenizer: Tokenizer | undefined): void {
  if (tokenizer && !(tokenizer instanceof ByteLevelBPE)) {
    throw new Error(`cannot write a ${tokenizer.description} tokenizer as tokenizer.json (only byte-level BPE); save the model as GGUF to keep it`);
  }
}

/** config.json's text for a model. */
export function hfConfigText(model: Model): string {
  return JSON.stringify(configToHf(model.config), null, 2) + '\n';
}

/** tokenizer.json's text for a byte-level BPE. */
export function hfTokenizerText(tokenizer: ByteLevelBPE): string {
  return JSON.stringify(toHfJson(tokenizer), null, 2) + '\n';
}

/**
 * The files of a Hugging Face folder as name -> bytes: config.json, model.safetensors (and
 * tokenizer.json for a byte-level BPE), the files `loadModelFromFiles` and transformers read.
 */
export function hfModelFiles(model: Model, tokenizer?: Tokenizer): Map<string, Uint8Array> {
  checkHfTokenizer(tokenizer);
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  files.set('config.json', enc.encode(hfConfigText(model)));
  files.set('model.safetensors', writeSafetensors(namedParams(model), { format: 'pt' }));
  if (tokenizer instanceof ByteLevelBPE) files.set('tokenizer.json', enc.encode(hfTokenizerText(tokenizer)));
  return files;
}

/** llama_ftype of the file as a whole (general.file_type). */
const FILE_TYPE: Record<GgufDtype, number> = { f32: 0, f16: 1, q8_0: 7 };

/**
 * The GGUF type of one tensor, as llama.cpp chooses: vectors (norms, biases) stay F32; matrices
 * take the asked type, except that Q8_0 needs rows of a multiple of 32 values and falls back to
 * F16 otherwise (what convert_hf_to_gguf.py does on a QuantError).
 */
export function ggufTensorType(shape: readonly number[], dtype: GgufDtype): GgmlType {
  if (shape.length < 2 || dtype === 'f32') return GgmlType.F32;
  if (dtype === 'f16') return GgmlType.F16;
  return shape[shape.length - 1] % 32 === 0 ? GgmlType.Q8_0 : GgmlType.F16;
}

/** The model as a GGUF to write (HF names -> llama.cpp names and layouts, tensor types chosen). */
export function ggufToWrite(model: Model, opts: SaveGgufOptions = {}): GgufToWrite {
  const dtype = opts.dtype ?? 'f32';
  if (!(dtype in FILE_TYPE)) throw new Error(`unknown GGUF dtype '${dtype}' (f32, f16, q8_0)`);
  const c = model.config;
  const hf = configToHf(c);
  const side = model.family.gguf;
  const arch = side.archFor(hf);
  const meta: GgufMetadata = side.metadataFromHf(hf, arch);
  meta.set('general.name', gguf.str(opts.name ?? `glasslm-${arch}`));
  meta.set('general.file_type', gguf.u32(FILE_TYPE[dtype]));
  if (dtype !== 'f32') meta.set('general.quantization_version', gguf.u32(2));
  if (opts.tokenizer) for (const [k, v] of tokenizerToGgufMetadata(opts.tokenizer, c.vocabSize)) meta.set(k, v);

  const named = hfTensorsToGguf(arch, hfHeadCounts(hf), namedParams(model));
  const tensors: GgufTensorToWrite[] = named.map((t) => ({ ...t, type: ggufTensorType(t.shape, dtype) }));
  // non-parameter tensors llama.cpp reads (Llama 3 rope scaling as rope_freqs.weight), kept in float32
  for (const t of side.auxTensorsFor(hf)) tensors.push({ ...t, type: GgmlType.F32 });
  return { metadata: meta, tensors };
}

/** The model as the bytes of one GGUF file (see ggufToWrite). */
export function ggufModelBytes(model: Model, opts: SaveGgufOptions = {}): Uint8Array {
  return writeGguf(ggufToWrite(model, opts));
}

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type)
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

/** tokenizer.ggml.pre names of the pre-tokenizer patterns llama.cpp knows. */
function preName(pattern: string): string {
  if (pattern === GPT2_PATTERN) return 'gpt-2';
  if (pattern === CL100K_PATTERN) return 'llama-bpe';
  if (pattern === QWEN2_PATTERN) return 'qwen2';
  throw new Error('the tokenizer\'s pre-tokenizer pattern has no llama.cpp name (gpt-2, llama-bpe, qwen2), so a GGUF could not encode text as it does');
}

/**
 * The vocabulary as tokenizer.ggml.* metadata, padded with unused tokens to the model's vocabulary
 * size (llama.cpp sizes the embedding by the token count):
 * - byte-level BPE -> model 'gpt2': tokens (byte-level strings), token_type, merges, pre;
 * - scored BPE (llama2.c, SentencePiece) -> model 'llama': tokens with spaces as '▁', scores,
 *   token_type (byte tokens <0xNN> are type 6, BOS/EOS control).
 */
export function tokenizerToGgufMetadata(tok: Tokenizer, modelVocab: number): GgufMetadata {
  if (tok.vocabSize > modelVocab) throw new Error(`the tokenizer has ${tok.vocabSize} tokens but the model only ${modelVocab}`);
  const m: GgufMetadata = new Map();
  const tokens: string[] = [];
  const types: number[] = [];
  const special = new Map([...tok.specialTokens].map(([s, id]) => [id, s]));
  const pad = (id: number) => { tokens.push(`[PAD${id}]`); types.push(UNUSED); };
  if (tok instanceof ByteLevelBPE) {
    const added = new Set(tok.addedTokens.values());
    for (let id = 0; id < modelVocab; id++) {
      const s = special.get(id) ?? tok.idToToken(id);
      if (id >= tok.vocabSize || s === undefined) { pad(id); continue; }
      tokens.push(s);
      types.push(special.has(id) ? CONTROL : added.has(id) ? USER_DEFINED : NORMAL);
    }
    m.set('tokenizer.ggml.model', gguf.str('gpt2'));
    m.set('tokenizer.ggml.pre', gguf.str(preName(tok.pattern)));
    m.set('tokenizer.ggml.tokens', gguf.array(GgufType.STRING, tokens));
    m.set('tokenizer.ggml.token_type', gguf.array(GgufType.INT32, types));
    m.set('tokenizer.ggml.merges', gguf.array(GgufType.STRING, tok.merges.map(([a, b]) => `${a} ${b}`)));
    m.set('tokenizer.ggml.add_bos_token', gguf.bool(false));
  } else if (tok instanceof ScoredBPE) {
    const scores: number[] = [];
    let unk: number | undefined;
    for (let id = 0; id < modelVocab; id++) {
      const s = special.get(id) ?? tok.idToToken(id);
      if (id >= tok.vocabSize || s === undefined) { pad(id); scores.push(-1e9); continue; }
      scores.push(tok.score(id));
      if (special.has(id)) { tokens.push(s); types.push(CONTROL); continue; }
      if (s === '<unk>') { unk = id; tokens.push(s); types.push(UNKNOWN); continue; }
      tokens.push(s.replaceAll(' ', '\u2581'));
      types.push(/^<0x[0-9A-F]{2}>$/.test(s) ? BYTE : NORMAL);
    }
    m.set('tokenizer.ggml.model', gguf.str('llama'));
    m.set('tokenizer.ggml.tokens', gguf.array(GgufType.STRING, tokens));
    m.set('tokenizer.ggml.scores', gguf.array(GgufType.FLOAT32, scores));
    m.set('tokenizer.ggml.token_type', gguf.array(GgufType.INT32, types));
    if (unk !== undefined) m.set('tokenizer.ggml.unknown_token_id', gguf.u32(unk));
    m.set('tokenizer.ggml.add_bos_token', gguf.bool(true));
    m.set('tokenizer.ggml.add_space_prefix', gguf.bool(true));
  } else {
    throw new Error(`cannot write a ${tok.description} tokenizer into GGUF (byte-level BPE and scored BPE can be)`);
  }
  if (tok.bos !== undefined) m.set('tokenizer.ggml.bos_token_id', gguf.u32(tok.bos));
  if (tok.eos !== undefined) m.set('tokenizer.ggml.eos_token_id', gguf.u32(tok.eos));
  return m;
}
