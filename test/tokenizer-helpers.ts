// Helpers shared by the tokenizer tests: a seeded random generator and random text/bytes.

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code points that stress pre-tokenizers: every kind of whitespace, BOM, marks, digits, emoji parts. */
const TRICKY = [
  0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0x85, 0xa0, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  0xfeff, 0x200b, 0x200d, 0xfe0f, 0x0301, 0x27, 0x2019, 0x00, 0x1b, 0x7f, 0x1c, 0x1f, 0x0660, 0xff10, 0x2163,
];

/** A random string of `n` code points (never a lone surrogate: those have no UTF-8 form). */
export function randomUnicode(next: () => number, n: number): string {
  const cps: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = next();
    let cp: number;
    if (r < 0.35) cp = 0x20 + Math.floor(next() * 0x5f); // printable ASCII
    else if (r < 0.5) cp = TRICKY[Math.floor(next() * TRICKY.length)]!;
    else if (r < 0.6) cp = Math.floor(next() * 0x80); // any ASCII, controls included
    else if (r < 0.7) cp = 0x80 + Math.floor(next() * 0x780); // 2-byte UTF-8
    else if (r < 0.8) cp = 0x4e00 + Math.floor(next() * 0x5000); // CJK
    else if (r < 0.9) cp = 0x1f300 + Math.floor(next() * 0x700); // emoji
    else {
      do cp = Math.floor(next() * 0x110000);
      while (cp >= 0xd800 && cp <= 0xdfff);
    }
    cps.push(cp);
  }
  return String.fromCodePoint(...cps);
}

/** Random bytes, biased towards UTF-8 lead/continuation bytes so that many sequences are broken. */
export function randomBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    out[i] = r < 0.3 ? 0x80 + Math.floor(next() * 0x40) : r < 0.5 ? 0xc0 + Math.floor(next() * 0x40) : Math.floor(next() * 256);
  }
  return out;
}

/** Reads one tensor of a .safetensors file as Int32Array (a tiny reader for the tests). */
export function readSafetensorsI32(buf: Uint8Array, name: string): Int32Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const entry = header[name];
  if (!entry) throw new Error(`no tensor ${name}`);
  if (entry.dtype !== 'I32') throw new Error(`${name} is ${entry.dtype}, not I32`);
  const [start, end] = entry.data_offsets;
  const out = new Int32Array((end - start) / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(8 + n + start + 4 * i, true);
  return out;
}
