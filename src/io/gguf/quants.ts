// Block quantization formats, bit-exact with ggml's reference C (ggml-quants.c):
// dequantize_row_q4_0 / q8_0 / q4_K / q6_K and quantize_row_q8_0_ref / q4_0_ref.
// Every float operation is rounded to float32 (Math.fround) exactly where C rounds,
// so the results match a build of ggml without fused multiply-add contraction.
//
// Layouts (bytes, little-endian), from ggml-common.h:
//   Q4_0 (32 values, 18 B):  d f16 | qs[16]          x[j] = ((qs[j] & 15) - 8) * d, x[j+16] = ((qs[j] >> 4) - 8) * d
//   Q8_0 (32 values, 34 B):  d f16 | qs[32] int8     x[j] = qs[j] * d
//   Q4_K (256 values, 144 B): d f16 | dmin f16 | scales[12] (8 6-bit scales + 8 6-bit mins) | qs[128]
//   Q6_K (256 values, 210 B): ql[128] (low 4 bits) | qh[64] (high 2 bits) | scales[16] int8 | d f16

import { f16ToF32, f32ToF16 } from '../half.js';

const fround = Math.fround;

function f16At(bytes: Uint8Array, p: number): number {
  return f16ToF32(bytes[p] | (bytes[p + 1] << 8));
}

/** Q4_0: out.length must be a multiple of 32; reads out.length/32 blocks from offset. */
export function dequantizeQ4_0(bytes: Uint8Array, offset: number, out: Float32Array): void {
  for (let b = 0, n = out.length / 32; b < n; b++) {
    const base = offset + b * 18;
    const d = f16At(bytes, base);
    const y = b * 32;
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 2 + j];
      out[y + j] = ((q & 0x0f) - 8) * d; // Float32Array store rounds the (exact) double product once
      out[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/** Q8_0: out.length must be a multiple of 32. */
export function dequantizeQ8_0(bytes: Uint8Array, offset: number, out: Float32Array): void {
  for (let b = 0, n = out.length / 32; b < n; b++) {
    const base = offset + b * 34;
    const d = f16At(bytes, base);
    const y = b * 32;
    for (let j = 0; j < 32; j++) out[y + j] = ((bytes[base + 2 + j] << 24) >> 24) * d; // int8 * d
  }
}

/**
 * The j-th (0..7) 6-bit scale and min of a Q4_K/Q5_K block, packed in 12 bytes q:
 * j < 4: scale = q[j] & 63, min = q[j+4] & 63;
 * j >= 4: low 4 bits from q[j+4] (scale: low nibble, min: high nibble), high 2 bits from
 * the top bits of q[j-4] (scale) and q[j] (min).  (get_scale_min_k4 in ggml-quants.c)
 */
export function scaleMinK4(j: number, q: Uint8Array, at: number): [scale: number, min: number] {
  if (j < 4) return [q[at + j] & 63, q[at + j + 4] & 63];
  return [(q[at + j + 4] & 0x0f) | ((q[at + j - 4] >> 6) << 4), (q[at + j + 4] >> 4) | ((q[at + j] >> 6) << 4)];
}

/** Q4_K: out.length must be a multiple of 256. Each 64 values share two (scale, min) pairs. */
export function dequantizeQ4_K(bytes: Uint8Array, offset: number, out: Float32Array): void {
  for (let b = 0, n = out.length / 256; b < n; b++) {
    const base = offset + b * 144;
    const d = f16At(bytes, base);
    const dmin = f16At(bytes, base + 2);
    const scales = base + 4;
    let q = base + 16;
    let y = b * 256;
    for (let is = 0; is < 8; is += 2) {
      const [sc1, m1q] = scaleMinK4(is, bytes, scales);
      const [sc2, m2q] = scaleMinK4(is + 1, bytes, scales);
      const d1 = fround(d * sc1), m1 = fround(dmin * m1q);
      const d2 = fround(d * sc2), m2 = fround(dmin * m2q);
      for (let l = 0; l < 32; l++) out[y + l] = fround(d1 * (bytes[q + l] & 0x0f)) - m1;
      for (let l = 0; l < 32; l++) out[y + 32 + l] = fround(d2 * (bytes[q + l] >> 4)) - m2;
      q += 32;
      y += 64;
    }
  }
}

/** Q6_K: out.length must be a multiple of 256. 16 groups of 16 values, one int8 scale each. */
export function dequantizeQ6_K(bytes: Uint8Array, offset: number, out: Float32Array): void {
  for (let b = 0, n = out.length / 256; b < n; b++) {
    const base = offset + b * 210;
    const d = f16At(bytes, base + 208);
    let ql = base, qh = base + 128, sc = base + 192;
    let y = b * 256;
    for (let half = 0; half < 2; half++) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = bytes[qh + l];
        const q1 = ((bytes[ql + l] & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32] & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = fround(d * ((bytes[sc + is] << 24) >> 24)) * q1;
        out[y + l + 32] = fround(d * ((bytes[sc + is + 2] << 24) >> 24)) * q2;
        out[y + l + 64] = fround(d * ((bytes[sc + is + 4] << 24) >> 24)) * q3;
        out[y + l + 96] = fround(d * ((bytes[sc + is + 6] << 24) >> 24)) * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

/** C's roundf: halfway cases away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/**
 * quantize_row_q8_0_ref: per block of 32, d = amax / 127 (stored as f16),
 * q = roundf(x * (1/d)) computed with the float32 d before it is rounded to f16.
 */
export function quantizeQ8_0(x: Float32Array, out: Uint8Array<ArrayBufferLike> = new Uint8Array((x.length / 32) * 34)): Uint8Array<ArrayBufferLike> {
  if (x.length % 32 !== 0) throw new Error(`quantizeQ8_0: ${x.length} values is not a multiple of 32`);
  const nb = x.length / 32;
  if (out.length !== nb * 34) throw new Error(`quantizeQ8_0: ${x.length} values need ${nb * 34} bytes, got ${out.length}`);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
    const d = fround(amax / 127);
    const id = d ? fround(1 / d) : 0;
    const h = f32ToF16(d);
    out[b * 34] = h & 0xff;
    out[b * 34 + 1] = h >> 8;
    for (let j = 0; j < 32; j++) out[b * 34 + 2 + j] = roundHalfAway(fround(x[b * 32 + j] * id)) & 0xff;
  }
  return out;
}

/**
 * quantize_row_q4_0_ref: per block of 32, d = max / -8 where max is the value of largest
 * magnitude (first one on ties); q = min(15, trunc(x * (1/d) + 8.5)).
 */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  if (x.length % 32 !== 0) throw new Error(`quantizeQ4_0: ${x.length} values is not a multiple of 32`);
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 18);
  for (let b = 0; b < nb; b++) {
    let amax = 0, max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j];
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = fround(max / -8);
    const id = d ? fround(1 / d) : 0;
    const h = f32ToF16(d);
    out[b * 18] = h & 0xff;
    out[b * 18 + 1] = h >> 8;
    for (let j = 0; j < 16; j++) {
      const x0 = fround(x[b * 32 + j] * id);
      const x1 = fround(x[b * 32 + 16 + j] * id);
      const q0 = Math.min(15, Math.trunc(fround(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(fround(x1 + 8.5)));
      out[b * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}
