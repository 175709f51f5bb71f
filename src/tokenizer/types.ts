// The Tokenizer interface that every loaded or trained vocabulary implements.

/** Which special tokens `encode` may produce when their text appears in the input. */
export type AllowedSpecial = 'all' | 'none' | Iterable<string>;

export interface EncodeOptions {
  /**
   * Special tokens (such as `<|endoftext|>`) that may appear in the text and become their
   * special id. Default 'none': text containing a special token's string is refused with an
   * Error, so user text cannot inject a special token. Use `encodeOrdinary` to encode such
   * text as plain characters instead.
   */
  allowedSpecial?: AllowedSpecial;
}

export interface Tokenizer {
  /** One more than the largest token id. */
  readonly vocabSize: number;
  /** Special token string -> id, e.g. '<|endoftext|>' -> 50256. */
  readonly specialTokens: ReadonlyMap<string, number>;
  /** Beginning/end of sequence ids, where the vocabulary names them. */
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  /** A short description: "byte-level BPE, 50257 tokens, gpt2 pre-tokenizer". */
  readonly description: string;

  /** Text -> ids. Throws if the text contains a special token that `opts` does not allow. */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Text -> ids, treating special token strings as ordinary text. */
  encodeOrdinary(text: string): number[];
  /** Ids -> text; malformed UTF-8 (a token sequence cut inside a character) becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  /** Ids -> the exact bytes they stand for. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array;
  /** The bytes that token `id` adds to the output when it follows `prev` (for streaming). */
  pieceBytes(id: number, prev?: number): Uint8Array;
  /** Raw bytes (not necessarily valid UTF-8) -> ids; byte-level vocabularies only. */
  encodeBytes?(bytes: Uint8Array): number[];

  /** The vocabulary's own string for an id ('Ġthe' in GPT-2), or undefined. */
  idToToken(id: number): string | undefined;
  /** The id of a vocabulary string, or undefined. */
  tokenToId(token: string): number | undefined;
}
