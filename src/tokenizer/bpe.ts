// Byte-level BPE: the GPT-2 family's encoder (GPT-2, GPT-4/Llama-3 and Qwen2 vocabularies,
// and vocabularies trained by ./train.ts).
//
// Text is split into pieces by a pre-tokenizer, each piece becomes its UTF-8 bytes (one token
// each), and then the adjacent pair with the lowest merge rank is merged, everywhere it occurs
// in the piece, until no adjacent pair has a merge. Example with GPT-2: " the" -> bytes
// [Ġ t h e] -> 'Ġ t' (rank 0) -> [Ġt h e] -> 'h e' (rank 2) -> [Ġt he] -> 'Ġt he' -> [Ġthe] = 262.
import { BYTE_TO_CHAR, byteLevelToBytes, utf8, utf8Decode, concatBytes } from './bytes.js';
import type { Pretokenizer } from './pretokenize.js';
import { SpecialMatcher } from './special.js';
import type { EncodeOptions, Tokenizer } from './types.js';

export interface ByteLevelBPEConfig {
  /** Byte-level vocabulary string ('Ġthe') -> id. Must hold all 256 single-byte tokens. */
  vocab: ReadonlyMap<string, number>;
  /** Merges in rank order, as pairs of byte-level vocabulary strings: [['Ġ', 't'], ['Ġ', 'a'], ...]. */
  merges: ReadonlyArray<readonly [string, string]>;
  /** Special tokens (their plain text, e.g. '<|endoftext|>') -> id; may lie outside `vocab`. */
  specialTokens?: ReadonlyMap<string, number>;
  /** Added tokens that are not special: always split out of the text and encoded as their id. */
  addedTokens?: ReadonlyMap<string, number>;
  pretokenizer: Pretokenizer;
  /** The pre-tokenizer's pattern as Hugging Face writes it (kept for saving), and a name for messages. */
  pattern: string;
  patternName?: string;
  /** The tokenizer.json `pre_tokenizer` this came from, saved back unchanged (else built from `pattern`). */
  hfPreTokenizer?: unknown;
  bos?: number;
  eos?: number;
}

/** Pieces longer than this (in UTF-16 units) are not cached. */
const MAX_CACHED_PIECE = 64;
/** The piece cache is cleared when it reaches this many entries, so memory stays bounded. */
const MAX_CACHE_ENTRIES = 200_000;

export class ByteLevelBPE implements Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  readonly description: string;
  readonly pattern: string;
  readonly pretokenizer: Pretokenizer;
  /** The merges as given, in rank order (kept for saving). */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  readonly addedTokens: ReadonlyMap<string, number>;
  readonly hfPreTokenizer: unknown;

  /** id -> byte-level string (undefined for holes); special tokens hold their plain text. */
  private readonly idToString: (string | undefined)[];
  private readonly stringToId: Map<string, number>;
  /** id -> the bytes it decodes to. */
  private readonly idToBytes: (Uint8Array | undefined)[];
  /** byte value -> id of its single-byte token. */
  private readonly byteToId = new Int32Array(256);
  /** (left id * vocabSize + right id) -> rank * vocabSize + merged id. */
  private readonly mergeTable = new Map<number, number>();
  private readonly special: SpecialMatcher;
  private readonly cache = new Map<string, number[]>();
  /** Scratch space for one piece: its ids, and the merge rank of each adjacent pair. */
  private ids = new Int32Array(256);
  private ranks = new Float64Array(256);

  constructor(private readonly cfg: ByteLevelBPEConfig) {
    this.pretokenizer = cfg.pretokenizer;
    this.pattern = cfg.pattern;
    this.merges = cfg.merges;
    this.hfPreTokenizer = cfg.hfPreTokenizer;
    this.specialTokens = cfg.specialTokens ?? new Map();
    this.addedTokens = cfg.addedTokens ?? new Map();
    this.bos = cfg.bos;
    this.eos = cfg.eos;

    let maxId = -1;
    for (const id of cfg.vocab.values()) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`vocabulary has an invalid id ${id}`);
      if (id > maxId) maxId = id;
    }
    for (const id of this.specialTokens.values()) if (id > maxId) maxId = id;
    for (const id of this.addedTokens.values()) if (id > maxId) maxId = id;
    const V = maxId + 1;
    this.vocabSize = V;
    this.idToString = new Array(V);
    this.idToBytes = new Array(V);
    this.stringToId = new Map(cfg.vocab);
    for (const [s, id] of cfg.vocab) {
      const bytes = byteLevelToBytes(s);
      this.idToString[id] = s;
      // A vocabulary entry that is not byte-level text (an added token stored in the vocab) decodes as UTF-8.
      this.idToBytes[id] = bytes ?? utf8(s);
    }
    for (const [s, id] of [...this.addedTokens, ...this.specialTokens]) {
      this.idToString[id] = s;
      this.idToBytes[id] = utf8(s);
      if (!this.stringToId.has(s)) this.stringToId.set(s, id);
    }
    for (let b = 0; b < 256; b++) {
      const id = cfg.vocab.get(BYTE_TO_CHAR[b]!);
      if (id === undefined) {
        throw new Error(
          `not a byte-level BPE vocabulary: it has no token for the byte 0x${b.toString(16).padStart(2, '0')} ('${BYTE_TO_CHAR[b]}')`,
        );
      }
      this.byteToId[b] = id;
    }
    cfg.merges.forEach(([a, b], rank) => {
      const ia = cfg.vocab.get(a);
      const ib = cfg.vocab.get(b);
      const im = cfg.vocab.get(a + b);
      const where = `merge ${rank + 1} ('${a}' '${b}')`;
      if (ia === undefined) throw new Error(`${where} names '${a}', which is not in the vocabulary`);
      if (ib === undefined) throw new Error(`${where} names '${b}', which is not in the vocabulary`);
      if (im === undefined) throw new Error(`${where} makes '${a + b}', which is not in the vocabulary`);
      const key = ia * V + ib;
      if (!this.mergeTable.has(key)) this.mergeTable.set(key, rank * V + im);
    });
    this.special = new SpecialMatcher(
      new Map([...this.addedTokens, ...this.specialTokens]),
      new Set(this.addedTokens.keys()),
    );
    this.description =
      `byte-level BPE, ${V} tokens, ${cfg.merges.length} merges, ${cfg.patternName ?? 'custom'} pre-tokenizer` +
      (this.specialTokens.size > 0 ? `, special: ${[...this.specialTokens.keys()].join(' ')}` : '');
  }

  /**
   * The same vocabulary with more special tokens (text -> id; ids not yet used, or the id a token
   * already has). Used to add a chat template's markers such as '<|im_start|>'.
   */
  withSpecialTokens(tokens: ReadonlyMap<string, number>): ByteLevelBPE {
    const specialTokens = new Map(this.specialTokens);
    for (const [s, id] of tokens) {
      const have = this.stringToId.get(s);
      if (have !== undefined && (have !== id || !this.specialTokens.has(s))) {
        throw new Error(`'${s}' is already token ${have}${this.specialTokens.has(s) ? '' : ' (not a special token)'}; it cannot become special token ${id}`);
      }
      if (have === undefined && this.idToString[id] !== undefined) throw new Error(`token id ${id} is already '${this.idToString[id]}'`);
      specialTokens.set(s, id);
    }
    return new ByteLevelBPE({ ...this.cfg, specialTokens });
  }

  /** Forgets the piece -> ids cache (for benchmarks that time a cold start). */
  clearCache(): void {
    this.cache.clear();
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.special.encode(text, opts.allowedSpecial ?? 'none', this.ordinaryInto);
  }

  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.ordinaryInto(text, out);
    return out;
  }

  /** Pre-tokenizes `text` and appends the ids of each piece to `out`. */
  private readonly ordinaryInto = (text: string, out: number[]): void => {
    this.pretokenizer(text, (piece) => this.encodePiece(piece, out));
  };

  /** Appends the ids of one pre-tokenized piece, from the cache when it has been seen before. */
  private encodePiece(piece: string, out: number[]): void {
    const cached = this.cache.get(piece);
    if (cached !== undefined) {
      for (let i = 0; i < cached.length; i++) out.push(cached[i]!);
      return;
    }
    const n = this.writeUtf8Ids(piece);
    const m = this.mergePiece(n);
    const ids = this.ids;
    if (piece.length <= MAX_CACHED_PIECE) {
      const result = new Array<number>(m);
      for (let i = 0; i < m; i++) result[i] = ids[i]!;
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(piece, result);
    }
    for (let i = 0; i < m; i++) out.push(ids[i]!);
  }

  /** Writes the single-byte token ids of piece's UTF-8 bytes into this.ids; returns the count. */
  private writeUtf8Ids(piece: string): number {
    if (this.ids.length < piece.length * 3) this.grow(piece.length * 3);
    const ids = this.ids;
    const byteToId = this.byteToId;
    let n = 0;
    for (let i = 0; i < piece.length; i++) {
      let c = piece.charCodeAt(i);
      if (c < 0x80) {
        ids[n++] = byteToId[c]!;
      } else if (c < 0x800) {
        ids[n++] = byteToId[0xc0 | (c >> 6)]!;
        ids[n++] = byteToId[0x80 | (c & 63)]!;
      } else {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < piece.length) {
          const d = piece.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            ids[n++] = byteToId[0xf0 | (c >> 18)]!;
            ids[n++] = byteToId[0x80 | ((c >> 12) & 63)]!;
            ids[n++] = byteToId[0x80 | ((c >> 6) & 63)]!;
            ids[n++] = byteToId[0x80 | (c & 63)]!;
            continue;
          }
        }
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate has no UTF-8 form
        ids[n++] = byteToId[0xe0 | (c >> 12)]!;
        ids[n++] = byteToId[0x80 | ((c >> 6) & 63)]!;
        ids[n++] = byteToId[0x80 | (c & 63)]!;
      }
    }
    return n;
  }

  private grow(n: number): void {
    this.ids = new Int32Array(n);
    this.ranks = new Float64Array(n);
  }

  /**
   * Merges this.ids[0..n) in place by rank; returns the new length.
   * ranks[i] holds the merge rank of the pair (ids[i], ids[i+1]) (Infinity: no merge), so each
   * step is a scan for the smallest rank, and only the neighbours of a merge are looked up again.
   */
  private mergePiece(n: number): number {
    const ids = this.ids;
    const ranks = this.ranks;
    const table = this.mergeTable;
    const V = this.vocabSize;
    for (let i = 0; i + 1 < n; i++) {
      const v = table.get(ids[i]! * V + ids[i + 1]!);
      ranks[i] = v === undefined ? Infinity : Math.floor(v / V);
    }
    while (n > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < n; i++) if (ranks[i]! < best) best = ranks[i]!;
      if (best === Infinity) break;
      // Merge every non-overlapping occurrence of the best pair, left to right (GPT-2's bpe()).
      let w = 0;
      for (let r = 0; r < n; ) {
        if (r + 1 < n && ranks[r] === best) {
          const v = table.get(ids[r]! * V + ids[r + 1]!)!;
          ids[w++] = v - Math.floor(v / V) * V;
          r += 2;
        } else {
          ids[w++] = ids[r++]!;
        }
      }
      n = w;
      for (let i = 0; i + 1 < n; i++) {
        const v = table.get(ids[i]! * V + ids[i + 1]!);
        ranks[i] = v === undefined ? Infinity : Math.floor(v / V);
      }
    }
    return n;
  }

  /**
   * Raw bytes -> ids. Valid UTF-8 stretches are encoded like text; each stretch of bytes that is
   * not valid UTF-8 is merged as one piece of its own. decodeBytes(encodeBytes(b)) equals b.
   */
  encodeBytes(bytes: Uint8Array): number[] {
    const out: number[] = [];
    let start = 0;
    let i = 0;
    const flushText = (end: number): void => {
      if (end > start) this.ordinaryInto(utf8Decode(bytes.subarray(start, end)), out);
    };
    while (i < bytes.length) {
      const len = validUtf8Length(bytes, i);
      if (len > 0) {
        i += len;
        continue;
      }
      flushText(i);
      let j = i + 1;
      while (j < bytes.length && validUtf8Length(bytes, j) === 0) j++;
      this.encodeRawBytes(bytes.subarray(i, j), out);
      start = i = j;
    }
    flushText(i);
    return out;
  }

  private encodeRawBytes(raw: Uint8Array, out: number[]): void {
    if (this.ids.length < raw.length) this.grow(raw.length);
    for (let k = 0; k < raw.length; k++) this.ids[k] = this.byteToId[raw[k]!]!;
    const m = this.mergePiece(raw.length);
    for (let k = 0; k < m; k++) out.push(this.ids[k]!);
  }

  decode(ids: ArrayLike<number>): string {
    return utf8Decode(this.decodeBytes(ids));
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const parts: Uint8Array[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) parts[i] = this.pieceBytes(ids[i]!);
    return concatBytes(parts);
  }

  pieceBytes(id: number): Uint8Array {
    const bytes = this.idToBytes[id];
    if (bytes === undefined) throw new Error(`token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
    return bytes;
  }

  idToToken(id: number): string | undefined {
    return this.idToString[id];
  }

  tokenToId(token: string): number | undefined {
    return this.stringToId.get(token);
  }
}

/** Length of the valid UTF-8 sequence starting at bytes[i], or 0 if it is not one. */
export function validUtf8Length(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number): boolean => i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const b1 = bytes[i + 1]!;
    if (b0 === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b0 === 0xed && b1 >= 0xa0) return 0; // surrogate
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const b1 = bytes[i + 1]!;
    if (b0 === 0xf0 && b1 < 0x90) return 0; // overlong
    if (b0 === 0xf4 && b1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}
