// Scored BPE (SentencePiece-style), as llama2.c's run.c and llama.cpp's SPM tokenizer encode:
//
// 1. Prepend a dummy space when the text is not empty (llama2.c: " ", SentencePiece: "▁"; in
//    SentencePiece vocabularies every space is written "▁").
// 2. Look up each UTF-8 character; one that is not in the vocabulary becomes its bytes, each
//    as a byte-fallback token (<0xNN>).
// 3. Repeatedly merge the adjacent pair whose concatenation is in the vocabulary with the
//    highest score (leftmost on ties), until no pair merges.
// Decoding maps <0xNN> tokens to raw bytes, control tokens (BOS/EOS) to nothing, and drops the
// leading space of the first piece after BOS.
import { concatBytes, utf8, utf8Decode } from './bytes.js';
import { SpecialMatcher } from './special.js';
import type { EncodeOptions, Tokenizer } from './types.js';

export interface ScoredBPEConfig {
  /** Token pieces as raw bytes, indexed by id. */
  pieces: Uint8Array[];
  scores: Float32Array;
  /** The byte-fallback id of byte b: llama2.c uses b + 3; SentencePiece looks up "<0xNN>". */
  byteToId: Int32Array;
  /** Ids that decode to nothing (BOS, EOS, other control tokens). */
  controlIds: ReadonlySet<number>;
  /** Spaces are written as this string in the vocabulary ("▁" for SentencePiece, " " for llama2.c). */
  space: string;
  addDummyPrefix: boolean;
  specialTokens: ReadonlyMap<string, number>;
  bos?: number;
  eos?: number;
  unk?: number;
  description: string;
}

/** Bytes <-> "binary" strings (one char per byte), used as Map keys for pieces. */
function binary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export class ScoredBPE implements Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  readonly description: string;
  private readonly pieces: Uint8Array[];
  private readonly scores: Float32Array;
  private readonly byteToId: Int32Array;
  private readonly controlIds: ReadonlySet<number>;
  private readonly space: string;
  private readonly addDummyPrefix: boolean;
  /** Piece as a binary string -> id (the first id when a piece repeats). */
  private readonly lookup = new Map<string, number>();
  private readonly keys: string[];
  /** Which ids are <0xNN> byte tokens, and their byte. */
  private readonly byteValue: Int16Array;
  private readonly special: SpecialMatcher;
  private readonly textDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  constructor(cfg: ScoredBPEConfig) {
    this.pieces = cfg.pieces;
    this.scores = cfg.scores;
    this.byteToId = cfg.byteToId;
    this.controlIds = cfg.controlIds;
    this.space = cfg.space;
    this.addDummyPrefix = cfg.addDummyPrefix;
    this.specialTokens = cfg.specialTokens;
    this.bos = cfg.bos;
    this.eos = cfg.eos;
    this.description = cfg.description;
    this.vocabSize = cfg.pieces.length;
    this.keys = cfg.pieces.map(binary);
    this.keys.forEach((k, id) => {
      if (!this.lookup.has(k)) this.lookup.set(k, id);
    });
    this.byteValue = new Int16Array(this.vocabSize).fill(-1);
    this.keys.forEach((k, id) => {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(k);
      if (m) this.byteValue[id] = parseInt(m[1]!, 16);
    });
    this.special = new SpecialMatcher(cfg.specialTokens);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.special.encode(text, opts.allowedSpecial ?? 'none', (t, out) => this.ordinaryInto(t, out));
  }

  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.ordinaryInto(text, out);
    return out;
  }

  private ordinaryInto(text: string, out: number[]): void {
    if (text.length === 0) return;
    if (this.space !== ' ') text = text.replaceAll(' ', this.space);
    if (this.addDummyPrefix) text = this.space + text;
    const ids = this.unmerged(text);
    // Step 3: merge the best-scoring pair until none merges.
    const pairId = (a: number, b: number) => this.lookup.get(this.keys[a]! + this.keys[b]!);
    for (const id of mergeByScore(ids, pairId, this.scores)) out.push(id);
  }

  /** Step 3 as run.c writes it: rescan every pair after each merge (O(n²)); the oracle for mergeByScore. */
  mergeNaive(ids: number[]): number[] {
    ids = [...ids];
    for (;;) {
      let bestScore = -Infinity;
      let bestId = -1;
      let bestIdx = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const id = this.lookup.get(this.keys[ids[i]!]! + this.keys[ids[i + 1]!]!);
        if (id !== undefined && this.scores[id]! > bestScore) {
          bestScore = this.scores[id]!;
          bestId = id;
          bestIdx = i;
        }
      }
      if (bestIdx < 0) return ids;
      ids.splice(bestIdx, 2, bestId);
    }
  }

  /** Step 2: one token per UTF-8 character, or its byte-fallback tokens (before any merge). */
  unmerged(text: string): number[] {
    const ids: number[] = [];
    for (const ch of text) {
      const bytes = utf8(ch);
      const id = this.lookup.get(binary(bytes));
      if (id !== undefined) ids.push(id);
      else for (const b of bytes) ids.push(this.byteToId[b]!);
    }
    return ids;
  }


  decode(ids: ArrayLike<number>): string {
    return utf8Decode(this.decodeBytes(ids));
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) parts.push(this.pieceBytes(ids[i]!, i > 0 ? ids[i - 1] : undefined));
    return concatBytes(parts);
  }

  pieceBytes(id: number, prev?: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new Error(`token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
    }
    if (this.controlIds.has(id)) return new Uint8Array(0);
    const b = this.byteValue[id]!;
    if (b >= 0) return Uint8Array.of(b);
    let piece = this.pieces[id]!;
    if (this.space !== ' ') piece = utf8(this.textDecoder.decode(piece).replaceAll(this.space, ' '));
    // After BOS, the dummy prefix space of the first word is dropped (llama2.c's decode).
    if (prev !== undefined && prev === this.bos && piece[0] === 0x20) piece = piece.subarray(1);
    return piece;
  }

  idToToken(id: number): string | undefined {
    const p = this.pieces[id];
    return p === undefined ? undefined : utf8Decode(p);
  }

  tokenToId(token: string): number | undefined {
    return this.lookup.get(binary(utf8(token)));
  }

  /** The score of a token (higher merges first). */
  score(id: number): number {
    return this.scores[id]!;
  }
}

/**
 * The same merges as run.c's loop (highest score first, leftmost on ties) in O(n log n): the
 * tokens form a linked list, candidate pairs wait in a heap ordered by (score desc, position asc),
 * and a pair whose tokens changed since it was pushed is skipped when it comes up.
 */
export function mergeByScore(ids: readonly number[], pairId: (a: number, b: number) => number | undefined, scores: Float32Array): number[] {
  const n = ids.length;
  const tok = Int32Array.from(ids);
  const next = new Int32Array(n), prev = new Int32Array(n), version = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // heap of candidate pairs: parallel arrays, ordered by score desc, then left position asc
  const hScore: number[] = [], hLeft: number[] = [], hRight: number[] = [], hVerL: number[] = [], hVerR: number[] = [], hId: number[] = [];
  const before = (a: number, b: number) => hScore[a]! > hScore[b]! || (hScore[a] === hScore[b] && hLeft[a]! < hLeft[b]!);
  const swap = (a: number, b: number) => {
    for (const h of [hScore, hLeft, hRight, hVerL, hVerR, hId]) [h[a], h[b]] = [h[b]!, h[a]!];
  };
  const push = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const id = pairId(tok[left]!, tok[right]!);
    if (id === undefined) return;
    let i = hScore.length;
    hScore.push(scores[id]!); hLeft.push(left); hRight.push(right); hVerL.push(version[left]!); hVerR.push(version[right]!); hId.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const pop = () => {
    const last = hScore.length - 1;
    swap(0, last);
    const top = { left: hLeft.pop()!, right: hRight.pop()!, verL: hVerL.pop()!, verR: hVerR.pop()!, id: hId.pop()! };
    hScore.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < hScore.length && before(l, best)) best = l;
      if (r < hScore.length && before(r, best)) best = r;
      if (best === i) break;
      swap(i, best);
      i = best;
    }
    return top;
  };
  for (let i = 0; i + 1 < n; i++) push(i, i + 1);
  while (hScore.length > 0) {
    const { left, right, verL, verR, id } = pop();
    if (tok[left] === -1 || tok[right] === -1 || next[left] !== right || version[left] !== verL || version[right] !== verR) continue;
    tok[left] = id;
    version[left]++;
    tok[right] = -1;
    next[left] = next[right]!;
    if (next[left] >= 0) prev[next[left]!] = left;
    push(prev[left]!, left);
    push(left, next[left]!);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0 && n > 0; i = next[i]!) out.push(tok[i]!);
  return out;
}
