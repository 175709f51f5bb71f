// ggml block formats against blocks built by hand from the format definitions in
// ggml-common.h / ggml-quants.c, with the expected floats worked out here, not by the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f16ToF32, f32ToF16, f32ToBF16 } from '../src/io/half.js';
import { dequantizeQ4_0, dequantizeQ8_0, dequantizeQ4_K, dequantizeQ6_K, quantizeQ8_0, quantizeQ4_0, scaleMinK4 } from '../src/io/gguf/quants.js';

const F16_ONE = 0x3c00, F16_HALF = 0x3800, F16_QUARTER = 0x3400;

test('f16: known bit patterns, round to nearest even, and every half round-trips', () => {
  assert.equal(f32ToF16(1), 0x3c00);
  assert.equal(f32ToF16(-2), 0xc000);
  assert.equal(f32ToF16(65504), 0x7bff); // largest half
  assert.equal(f32ToF16(65520), 0x7c00); // halfway to the next binade: ties to even -> Inf
  assert.equal(f32ToF16(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f32ToF16(2 ** -25), 0x0000); // halfway between 0 and 2^-24: ties to even -> 0
  assert.equal(f32ToF16(1.5 * 2 ** -25), 0x0001);
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // halfway between 1 and 1+2^-10 -> even (1)
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // halfway between 1+2^-10 and 1+2^-9 -> even
  assert.equal(f16ToF32(0x3555), 0.333251953125);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0xfc00), -Infinity);
  for (let h = 0; h < 65536; h++) {
    const v = f16ToF32(h);
    if (!Number.isNaN(v)) assert.equal(f32ToF16(v), h, `half 0x${h.toString(16)}`);
  }
  assert.equal(f32ToBF16(1), 0x3f80);
  assert.equal(f32ToBF16(1 + 2 ** -8), 0x3f80); // tie -> even
  assert.equal(f32ToBF16(1 + 3 * 2 ** -8), 0x3f82);
});

function putF16(b: Uint8Array, at: number, h: number): void {
  b[at] = h & 0xff;
  b[at + 1] = h >> 8;
}

test('Q4_0: x[j] = ((qs[j] & 15) - 8) * d, x[j+16] = ((qs[j] >> 4) - 8) * d', () => {
  const block = new Uint8Array(18);
  putF16(block, 0, F16_HALF); // d = 0.5
  for (let j = 0; j < 16; j++) block[2 + j] = j | ((15 - j) << 4);
  const out = new Float32Array(32);
  dequantizeQ4_0(block, 0, out);
  for (let j = 0; j < 16; j++) {
    assert.equal(out[j], (j - 8) * 0.5);
    assert.equal(out[j + 16], (7 - j) * 0.5);
  }
  assert.equal(out[0], -4);
  assert.equal(out[16], 3.5);
});

test('Q8_0: x[j] = int8(qs[j]) * d, two blocks at an offset', () => {
  const bytes = new Uint8Array(3 + 68);
  putF16(bytes, 3, F16_QUARTER); // block 0: d = 0.25
  putF16(bytes, 3 + 34, 0xc000); // block 1: d = -2
  for (let j = 0; j < 32; j++) {
    bytes[3 + 2 + j] = (j * 8 - 128) & 0xff; // -128, -120, ..., 120
    bytes[3 + 34 + 2 + j] = j;
  }
  const out = new Float32Array(64);
  dequantizeQ8_0(bytes, 3, out);
  for (let j = 0; j < 32; j++) {
    assert.equal(out[j], (j * 8 - 128) * 0.25);
    assert.equal(out[32 + j], -2 * j);
  }
  assert.equal(out[0], -32);
});

// The 12 bytes of Q4_K scales for 6-bit scales sc[0..7] and mins m[0..7]:
// bytes 0-3: sc[0..3] | top 2 bits of sc[4..7] in bits 6-7; bytes 4-7: m[0..3] | top 2 bits of m[4..7];
// bytes 8-11: low 4 bits of sc[4..7] | low 4 bits of m[4..7] << 4.
function packScalesK4(sc: number[], m: number[]): Uint8Array {
  const q = new Uint8Array(12);
  for (let j = 0; j < 4; j++) {
    q[j] = sc[j] | ((sc[j + 4] >> 4) << 6);
    q[j + 4] = m[j] | ((m[j + 4] >> 4) << 6);
    q[j + 8] = (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4);
  }
  return q;
}

test('Q4_K: get_scale_min_k4 unpacks 6-bit scales and mins', () => {
  // literal bytes: sc[4] = 0b110101 (53) split as low 0101 in byte 8 and high 11 in byte 0 bits 6-7
  const q = new Uint8Array([0xc1, 2, 3, 4, 5, 6, 7, 8, 0x05, 0, 0, 0]);
  assert.deepEqual(scaleMinK4(0, q, 0), [0xc1 & 63, 5]); // sc[0] = 1, m[0] = 5
  assert.deepEqual(scaleMinK4(4, q, 0), [0b110101, 0]); // sc[4] = 53, m[4] = 0 | (5 >> 6) << 4 = 0
  const sc = [1, 2, 3, 63, 17, 33, 48, 5], m = [0, 1, 2, 3, 40, 20, 63, 7];
  const packed = packScalesK4(sc, m);
  for (let j = 0; j < 8; j++) assert.deepEqual(scaleMinK4(j, packed, 0), [sc[j], m[j]], `j=${j}`);
});

test('Q4_K: x = d * sc[s] * q - dmin * m[s], sub-block s of 32 from the low then high nibbles', () => {
  const sc = [1, 2, 3, 63, 17, 33, 48, 5], m = [0, 1, 2, 3, 40, 20, 63, 7];
  const block = new Uint8Array(144);
  putF16(block, 0, F16_ONE); // d = 1
  putF16(block, 2, F16_HALF); // dmin = 0.5
  block.set(packScalesK4(sc, m), 4);
  for (let i = 0; i < 128; i++) block[16 + i] = (i * 7) & 0xff;
  const out = new Float32Array(256);
  dequantizeQ4_K(block, 0, out);
  for (let s = 0; s < 8; s++) {
    for (let l = 0; l < 32; l++) {
      const byte = block[16 + (s >> 1) * 32 + l];
      const q = s % 2 === 0 ? byte & 15 : byte >> 4;
      assert.equal(out[s * 32 + l], 1 * sc[s] * q - 0.5 * m[s], `s=${s} l=${l}`);
    }
  }
  // one value worked fully by hand: s = 5 (high nibbles of bytes 64..95), l = 1: byte = 65*7 & 255 = 199 = 0xc7 -> q = 12
  assert.equal(out[5 * 32 + 1], 33 * 12 - 0.5 * 20);
});

test('Q6_K: x = d * scales[g] * (q6 - 32), q6 = 4 low bits from ql | 2 high bits from qh', () => {
  const q6 = Array.from({ length: 256 }, (_, k) => (k * 5 + 3) % 64);
  const scales = Array.from({ length: 16 }, (_, g) => (g % 2 ? -1 : 1) * (g + 1));
  const block = new Uint8Array(210);
  // element k: half n = k >> 7, quarter = (k & 127) >> 5, l = k & 31
  // low 4 bits -> ql[n*64 + l + (quarter odd ? 32 : 0)], low nibble for quarters 0-1, high for 2-3
  // high 2 bits -> qh[n*32 + l] at bit 2*quarter; scale index n*8 + (l >> 4) + 2*quarter
  for (let k = 0; k < 256; k++) {
    const n = k >> 7, quarter = (k & 127) >> 5, l = k & 31;
    const qlAt = n * 64 + l + (quarter & 1 ? 32 : 0);
    block[qlAt] |= quarter < 2 ? q6[k] & 15 : (q6[k] & 15) << 4;
    block[128 + n * 32 + l] |= (q6[k] >> 4) << (2 * quarter);
  }
  scales.forEach((s, g) => (block[192 + g] = s & 0xff));
  putF16(block, 208, F16_QUARTER); // d = 0.25
  const out = new Float32Array(256);
  dequantizeQ6_K(block, 0, out);
  for (let k = 0; k < 256; k++) {
    const n = k >> 7, quarter = (k & 127) >> 5, l = k & 31;
    const g = n * 8 + (l >> 4) + 2 * quarter;
    assert.equal(out[k], 0.25 * scales[g] * (q6[k] - 32), `k=${k}`);
  }
  // k = 200: n 1, quarter 2, l 8 -> q6 = (1003 % 64) = 43, group 8 + 0 + 4 = 12, scale 13
  assert.equal(out[200], 0.25 * 13 * (43 - 32));
});

test('quantize Q8_0 like quantize_row_q8_0_ref: d = amax/127 as f16, q = roundf(x / d) half away from zero', () => {
  const x = new Float32Array(32);
  x[0] = 127; x[1] = 2.5; x[2] = -2.5; x[3] = 0.49; x[4] = -127; x[5] = 63.5;
  const b = quantizeQ8_0(x);
  assert.equal(b.length, 34);
  assert.equal(b[0] | (b[1] << 8), F16_ONE); // d = 127 / 127 = 1
  const q = new Int8Array(b.buffer, 2, 32);
  assert.deepEqual([...q.subarray(0, 6)], [127, 3, -3, 0, -127, 64]);
  const back = new Float32Array(32);
  dequantizeQ8_0(b, 0, back);
  assert.equal(back[1], 3);
  // a block of zeros: d = 0, all q = 0
  assert.deepEqual([...quantizeQ8_0(new Float32Array(32))], new Array(34).fill(0));
  // non-trivial scale: amax 21 -> d = fround(21/127), f16-rounded for storage; -10 / d = -60.476 -> -60
  const y = Float32Array.from({ length: 32 }, (_, j) => j - 10);
  const qy = new Int8Array(quantizeQ8_0(y).buffer, 2, 32);
  assert.equal(qy[0], -60);
  assert.equal(qy[31], 127);
});

test('quantize Q4_0 like quantize_row_q4_0_ref: d = max / -8, q = min(15, trunc(x / d + 8.5))', () => {
  const x = new Float32Array(32);
  x[0] = -16; // the largest magnitude, negative: d = -16 / -8 = 2
  x[1] = 15; // 7.5 + 8.5 = 16 -> clamped to 15
  x[2] = 1; // 0.5 + 8.5 = 9
  x[16] = -3; // -1.5 + 8.5 = 7
  const b = quantizeQ4_0(x);
  assert.equal(b[0] | (b[1] << 8), 0x4000); // f16(2)
  assert.equal(b[2] & 15, 0); // x[0]: -8 + 8.5 = 0.5 -> 0
  assert.equal(b[3] & 15, 15);
  assert.equal(b[4] & 15, 9);
  assert.equal(b[2] >> 4, 7); // x[16] in the high nibble of byte 0
  assert.equal(b[5] >> 4, 8); // zero -> 8
  const back = new Float32Array(32);
  dequantizeQ4_0(b, 0, back);
  assert.deepEqual([back[0], back[1], back[2], back[16], back[5]], [-16, 14, 2, -2, 0]);
});
