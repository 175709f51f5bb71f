// Training a byte-level BPE on a corpus.
//
// The corpus is split on special token strings (never trained on), pre-tokenized, and the
// distinct pieces ("words") counted. Every word starts as its UTF-8 bytes (ids 0..255). Then,
// until the vocabulary is full: take the adjacent pair that occurs most often (ties: the pair
// with the smaller ids), make it a new token, and rewrite the words that contain it.
// Pair counts are kept incrementally: a merge only re-counts the words that contain the pair,
// and a max-heap with lazy deletion finds the most frequent pair.
//
// Worked example (minbpe's): "aaabdaaabac" as one piece, 3 merges:
//   (a,a) x4 -> 256 "aa";  then (256,a) and (a,b) both x2, (97,98) < (256,97) -> 257 "ab";
//   then (256,257) x2 -> 258 "aaab". encode("aaabdaaabac") = [258, 100, 258, 97, 99].
import { BYTE_TO_CHAR, bytesToByteLevel } from './bytes.js';
import { ByteLevelBPE } from './bpe.js';
import { NAMED_PATTERNS, patternName, regexPretokenizer, type Pretokenizer } from './pretokenize.js';

export interface TrainOptions {
  /** The final vocabulary size: 256 bytes + merges + special tokens. */
  vocabSize: number;
  /** A named pattern ('gpt2', 'cl100k', 'qwen2') or a regex in Hugging Face syntax. Default 'gpt2'. */
  pattern?: string;
  /** Special tokens, given the last ids, e.g. ['<|endoftext|>']. */
  specialTokens?: string[];
  /** Called after every merge (for progress output). */
  onMerge?: (mergeIndex: number, left: number, right: number, count: number) => void;
}

/** Pair key: left * KEY_BASE + right (ids stay below 2^26, so keys are exact doubles). */
const KEY_BASE = 1 << 26;

/** A max-heap of (count, pair key), ordered by count, then by smaller key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!, cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]!; this.counts[i] = this.counts[j]!; this.counts[j] = c;
    const k = this.keys[i]!; this.keys[i] = this.keys[j]!; this.keys[j] = k;
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  /** Removes the top; returns [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const lastC = this.counts.pop()!, lastK = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.keys.length && this.above(l, m)) m = l;
        if (r < this.keys.length && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Distinct pre-tokenized pieces of the corpus and how often each occurs. */
export function countWords(text: string, pre: Pretokenizer, specialTokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (piece: string): void => {
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  };
  const chunks = specialTokens.length > 0 ? text.split(new RegExp(specialTokens.map(escapeRegExp).join('|'), 'u')) : [text];
  for (const chunk of chunks) pre(chunk, add);
  return counts;
}

export function trainBpe(text: string, opts: TrainOptions): ByteLevelBPE {
  const specials = opts.specialTokens ?? [];
  const pattern = NAMED_PATTERNS[opts.pattern ?? 'gpt2'] ?? opts.pattern!;
  const pre = regexPretokenizer(pattern);
  const target = opts.vocabSize - specials.length;
  if (!Number.isInteger(opts.vocabSize) || target < 256) {
    throw new Error(`vocabSize ${opts.vocabSize} is too small: it must hold 256 byte tokens and ${specials.length} special tokens`);
  }
  if (opts.vocabSize > KEY_BASE) throw new Error(`vocabSize ${opts.vocabSize} is too large (at most ${KEY_BASE})`);
  if (new Set(specials).size !== specials.length) throw new Error('specialTokens has duplicates');

  // Words as arrays of token ids, with their counts.
  const wordCounts = countWords(text, pre, specials);
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const freq: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(Int32Array.from(encoder.encode(w)));
    freq.push(c);
  }

  // Token bytes and byte-level strings, ids 0..255 = the bytes.
  const tokenBytes: Uint8Array[] = [];
  const vocab = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    tokenBytes.push(Uint8Array.of(b));
    vocab.set(BYTE_TO_CHAR[b]!, b);
  }

  // Initial pair counts, and which words hold each pair.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addPairs = (w: number, sign: number, changed: Set<number> | undefined): void => {
    const sym = words[w]!;
    const c = freq[w]! * sign;
    for (let i = 0; i + 1 < sym.length; i++) {
      const key = sym[i]! * KEY_BASE + sym[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      if (sign > 0) {
        let list = pairWords.get(key);
        if (list === undefined) pairWords.set(key, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
        changed?.add(key);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1, undefined);
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const merges: [string, string][] = [];
  const stamp = new Int32Array(words.length).fill(-1);
  while (vocab.size < target && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key); // stale entry: put back with its true count
      continue;
    }
    if (count <= 0) break;
    const a = Math.floor(key / KEY_BASE);
    const b = key - a * KEY_BASE;
    const bytes = new Uint8Array(tokenBytes[a]!.length + tokenBytes[b]!.length);
    bytes.set(tokenBytes[a]!, 0);
    bytes.set(tokenBytes[b]!, tokenBytes[a]!.length);
    const str = bytesToByteLevel(bytes);
    // Two different pairs can spell the same bytes ("a"+"bc", "ab"+"c"): they share one id.
    let m = vocab.get(str);
    if (m === undefined) {
      m = tokenBytes.length;
      tokenBytes.push(bytes);
      vocab.set(str, m);
    }
    merges.push([bytesToByteLevel(tokenBytes[a]!), bytesToByteLevel(tokenBytes[b]!)]);
    opts.onMerge?.(merges.length - 1, a, b, count);

    // Rewrite every word holding (a, b): remove its pair counts, merge, add them back.
    const changed = new Set<number>();
    const mergeIndex = merges.length;
    for (const w of pairWords.get(key) ?? []) {
      if (stamp[w] === mergeIndex) continue;
      stamp[w] = mergeIndex;
      const sym = words[w]!;
      let found = false;
      for (let i = 0; i + 1 < sym.length; i++) if (sym[i] === a && sym[i + 1] === b) { found = true; break; }
      if (!found) continue; // the list is not pruned: an earlier merge may have removed the pair
      addPairs(w, -1, undefined);
      const next = new Int32Array(sym.length);
      let n = 0;
      for (let i = 0; i < sym.length; ) {
        if (i + 1 < sym.length && sym[i] === a && sym[i + 1] === b) {
          next[n++] = m;
          i += 2;
        } else next[n++] = sym[i++]!;
      }
      words[w] = next.subarray(0, n);
      addPairs(w, 1, changed);
    }
    pairWords.delete(key);
    pairCount.delete(key);
    for (const k of changed) {
      const c = pairCount.get(k) ?? 0;
      if (c > 0) heap.push(c, k);
    }
  }

  const specialTokens = new Map<string, number>();
  for (const s of specials) specialTokens.set(s, tokenBytes.length + specialTokens.size);
  return new ByteLevelBPE({
    vocab,
    merges,
    specialTokens,
    pretokenizer: pre,
    pattern,
    patternName: patternName(pattern) ?? 'custom',
    eos: specials.includes('<|endoftext|>') ? specialTokens.get('<|endoftext|>') : undefined,
    bos: specials.includes('<|endoftext|>') ? specialTokens.get('<|endoftext|>') : undefined,
  });
}

