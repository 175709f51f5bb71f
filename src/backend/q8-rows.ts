// The int8 weight layout that the backends' Q8 kernels read: GGUF's Q8_0 quantization (blocks of
// 32 int8 values q with one scale d each, weight = d · q) arranged per matrix row. Row j of an
// (rows, cols) matrix takes rowBytes(cols) bytes: its cols int8 values, then its cols/32 scales
// as float32 (each exactly the float16 scale GGUF stores).
//
// Why not GGUF's own 34-byte blocks: a decode kernel then converts one float16 scale per block in
// scalar code, which cost a third of its time, and reads 34-byte blocks at odd offsets. With the
// scales of a row together in float32, a kernel loads them as they are, and the int8 values of
// a block are 32 aligned bytes. The cost is 36 bytes per block instead of 34.

import { f16ToF32 } from '../io/half.js';
import { quantizeQ8_0 } from '../io/gguf/quants.js';

export const Q8_BLOCK = 32;
const GGUF_BLOCK_BYTES = 34;

/** Bytes of one row of `cols` values (cols a multiple of 32): cols int8, then cols/32 float32 scales. */
export function q8RowBytes(cols: number): number {
  if (cols % Q8_BLOCK !== 0) throw new Error(`Q8_0 needs rows of a multiple of ${Q8_BLOCK} values, got ${cols}`);
  return cols + (cols / Q8_BLOCK) * 4;
}

/** Rearranges GGUF Q8_0 blocks (rows · cols/32 blocks of 34 bytes, from `offset`) into Q8 rows in `out`. */
export function packQ8Rows(gguf: Uint8Array, offset: number, rows: number, cols: number, out: Uint8Array): void {
  const rowBytes = q8RowBytes(cols), blocks = cols / Q8_BLOCK;
  if (out.length !== rows * rowBytes) throw new Error(`Q8 rows of (${rows}, ${cols}) take ${rows * rowBytes} bytes, got ${out.length}`);
  if (gguf.length - offset < rows * blocks * GGUF_BLOCK_BYTES) throw new Error(`GGUF Q8_0 data for (${rows}, ${cols}) needs ${rows * blocks * GGUF_BLOCK_BYTES} bytes`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let r = 0; r < rows; r++) {
    const row = r * rowBytes;
    for (let b = 0; b < blocks; b++) {
      const src = offset + (r * blocks + b) * GGUF_BLOCK_BYTES;
      view.setFloat32(row + cols + 4 * b, f16ToF32(gguf[src] | (gguf[src + 1] << 8)), true);
      out.set(gguf.subarray(src + 2, src + GGUF_BLOCK_BYTES), row + b * Q8_BLOCK);
    }
  }
}

/** Quantizes x (rows, cols) as GGUF's quantize_row_q8_0 does, straight into Q8 rows in `out`. */
export function quantizeQ8Rows(x: Float32Array, rows: number, cols: number, out: Uint8Array): void {
  if (x.length !== rows * cols) throw new Error(`quantizeQ8Rows: ${x.length} values are not (${rows}, ${cols})`);
  const rowBytes = q8RowBytes(cols);
  const gguf = new Uint8Array((cols / Q8_BLOCK) * GGUF_BLOCK_BYTES); // one row at a time
  for (let r = 0; r < rows; r++) {
    quantizeQ8_0(x.subarray(r * cols, (r + 1) * cols), gguf);
    packQ8Rows(gguf, 0, 1, cols, out.subarray(r * rowBytes, (r + 1) * rowBytes));
  }
}

/** out[0 … cols) = row `row` of Q8 rows `w` expanded to float32 (d · q). */
export function dequantizeQ8Row(w: Uint8Array, row: number, cols: number, out: Float32Array): void {
  const rowBytes = q8RowBytes(cols), base = row * rowBytes;
  const view = new DataView(w.buffer, w.byteOffset, w.byteLength);
  for (let b = 0; b < cols / Q8_BLOCK; b++) {
    const d = view.getFloat32(base + cols + 4 * b, true);
    for (let t = 0; t < Q8_BLOCK; t++) out[b * Q8_BLOCK + t] = d * ((w[base + b * Q8_BLOCK + t] << 24) >> 24);
  }
}
