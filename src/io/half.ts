// IEEE half (F16) and bfloat16 (BF16) conversions, bit-exact.
// F16 -> F32 and BF16 -> F32 are exact; F32 -> F16 rounds to nearest, ties to even
// (what ggml's GGML_FP32_TO_FP16 and numpy's astype(float16) do).

let f16Table: Float32Array | undefined; // 65536 entries, built on first use

function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** The float32 value of half-precision bits h (0..65535). */
export function f16ToF32(h: number): number {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16BitsToNumber(i);
  }
  return f16Table[h & 0xffff];
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Half-precision bits of x (first rounded to float32), round to nearest even. */
export function f32ToF16(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf / NaN
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    // subnormal half: value / 2^-24 = (1.mant << 23) >> (14 - e)
    if (e < -10) return sign; // below half the smallest subnormal -> +-0
    const full = mant | 0x800000;
    const shift = 14 - e;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let h = full >>> shift;
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  const rem = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

/** Decodes n little-endian F16 values starting at bytes[offset] into out. */
export function decodeF16(bytes: Uint8Array, offset: number, out: Float32Array): void {
  f16ToF32(0); // make sure the table exists
  const table = f16Table!;
  for (let i = 0, p = offset; i < out.length; i++, p += 2) out[i] = table[bytes[p] | (bytes[p + 1] << 8)];
}

/** Decodes n little-endian BF16 values starting at bytes[offset] into out (exact: bits << 16). */
export function decodeBF16(bytes: Uint8Array, offset: number, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0, p = offset; i < out.length; i++, p += 2) bits[i] = ((bytes[p] | (bytes[p + 1] << 8)) << 16) >>> 0;
}

/** BF16 bits of x, round to nearest even (NaN stays NaN). */
export function f32ToBF16(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}
