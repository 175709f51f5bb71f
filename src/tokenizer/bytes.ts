// Bytes <-> text helpers for byte-level BPE.
//
// GPT-2 stores its vocabulary as strings in which every byte is one printable character:
// bytes that are already printable map to themselves, the rest (control characters, space,
// 0x7F-0xA0, 0xAD) map to U+0100 onwards. So the byte 0x20 (space) is 'Ġ' (U+0120) and
// "\n" is 'Ċ' (U+010A). This is `bytes_to_unicode()` from GPT-2's encoder.py.

/** byte -> its printable stand-in character, e.g. BYTE_TO_CHAR[0x20] === 'Ġ'. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b); // '!' .. '~'
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b); // '¡' .. '¬'
  for (let b = 0xae; b <= 0xff; b++) printable.push(b); // '®' .. 'ÿ'
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let next = 0x100;
  for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCharCode(next++);
  return table;
})();

/** The inverse of BYTE_TO_CHAR: stand-in character code -> byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/**
 * A byte-level vocabulary string ("Ġthe") to its bytes ([0x20, 0x74, 0x68, 0x65]),
 * or undefined when it contains a character that is not a byte stand-in.
 */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** Bytes to their byte-level vocabulary string: [0x20, 0x74] -> "Ġt". */
export function bytesToByteLevel(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!];
  return s;
}

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8, replacing malformed sequences with U+FFFD (never throws). */
export function utf8Decode(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
}

/** Bytes as a "binary" string, one char (0-255) per byte: a cheap Map key for byte sequences. */
export function bytesToBinary(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
