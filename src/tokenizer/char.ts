// A character-level tokenizer (nanoGPT's shakespeare_char): one id per distinct character of the
// training text, sorted by code point. Saved as a Hugging Face tokenizer.json: a BPE model with
// no merges and no pre-tokenizer, whose decoder fuses the pieces back together.

import type { EncodeOptions, Tokenizer } from './types.js';

export class CharTokenizer implements Tokenizer {
  readonly specialTokens = new Map<string, number>();
  readonly bos = undefined;
  readonly eos = undefined;
  private readonly ids = new Map<string, number>();
  private readonly encoder = new TextEncoder();

  constructor(readonly chars: readonly string[]) {
    chars.forEach((c, i) => {
      if ([...c].length !== 1) throw new Error(`character tokenizer: '${c}' is not a single character`);
      if (this.ids.has(c)) throw new Error(`character tokenizer: '${c}' appears twice`);
      this.ids.set(c, i);
    });
  }

  /** The distinct characters of text, sorted by code point. */
  static fromText(text: string): CharTokenizer {
    return new CharTokenizer([...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  get description(): string {
    return `character-level, ${this.chars.length} characters`;
  }

  encode(text: string, _opts?: EncodeOptions): number[] {
    return this.encodeOrdinary(text);
  }

  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in this character-level vocabulary`);
      out.push(id);
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.idToToken(ids[i]) ?? '\uFFFD';
    return s;
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    return this.encoder.encode(this.decode(ids));
  }

  pieceBytes(id: number): Uint8Array {
    return this.encoder.encode(this.idToToken(id) ?? '\uFFFD');
  }

  idToToken(id: number): string | undefined {
    return this.chars[id];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  toHfJson(): Record<string, unknown> {
    return {
      version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null,
      decoder: { type: 'Fuse' },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries(this.ids), merges: [] },
    };
  }

  /** Recognises the tokenizer.json that toHfJson writes. */
  static fromHfJson(json: unknown): CharTokenizer | null {
    const j = json as { model?: { type?: string; merges?: unknown[]; vocab?: Record<string, number> }; pre_tokenizer?: unknown; decoder?: { type?: string } };
    if (j?.model?.type !== 'BPE' || j.pre_tokenizer !== null || j.decoder?.type !== 'Fuse' || !Array.isArray(j.model.merges) || j.model.merges.length !== 0 || !j.model.vocab) return null;
    const chars: string[] = [];
    for (const [c, id] of Object.entries(j.model.vocab)) {
      if (!Number.isInteger(id) || id < 0 || chars[id] !== undefined) throw new Error(`character tokenizer.json: bad id ${id} for ${JSON.stringify(c)}`);
      chars[id] = c;
    }
    if (chars.length !== Object.keys(j.model.vocab).length) throw new Error('character tokenizer.json: ids are not 0 … n-1');
    return new CharTokenizer(chars);
  }
}
