// Reference matmul. The naive triple loop stays as the oracle; the blocked kernel is what the cpu
// backend runs: operands are brought to (m, k) · (k, n) form once per call, then, one block of
// columns at a time, four rows of A are multiplied through the i-k-j order so that rows of B
// stream through the cache while the 4-row strip of out stays in L1.

import type { MatmulParams } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/** The obvious definition, one dot product per output; used only to test the fast kernels. */
export function matmulNaive(a: FloatArray, b: FloatArray, out: FloatArray, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, accumulate } = p;
  for (let bt = 0; bt < batch; bt++) {
    const aOff = bt * strideA, bOff = bt * strideB, oOff = bt * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) {
          const av = transA ? a[aOff + q * m + i] : a[aOff + i * k + q];
          const bv = transB ? b[bOff + j * k + q] : b[bOff + q * n + j];
          sum += av * bv;
        }
        out[oOff + i * n + j] = accumulate ? out[oOff + i * n + j] + sum : sum;
      }
    }
  }
}

/** Copies a (rows, cols) matrix transposed into dst (cols, rows). */
function transposeInto(src: FloatArray, offset: number, rows: number, cols: number, dst: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const row = offset + r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[row + c];
  }
}

/** Columns of B and out handled together: a 4-row strip of out (4 × 256 floats) stays in L1. */
const COLUMN_BLOCK = 256;

/** out (m, n) (+)= a (m, k) · b (k, n), all contiguous from the given offsets. */
function matmulBlocked(a: FloatArray, aOff: number, b: FloatArray, bOff: number, out: FloatArray, oOff: number, m: number, n: number, k: number, accumulate: boolean): void {
  if (!accumulate) out.fill(0, oOff, oOff + m * n);
  for (let j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
    const j1 = Math.min(n, j0 + COLUMN_BLOCK);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const o0 = oOff + i * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      const a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      for (let q = 0; q < k; q++) {
        const x0 = a[a0 + q], x1 = a[a1 + q], x2 = a[a2 + q], x3 = a[a3 + q];
        const bRow = bOff + q * n;
        for (let j = j0; j < j1; j++) {
          const bv = b[bRow + j];
          out[o0 + j] += x0 * bv;
          out[o1 + j] += x1 * bv;
          out[o2 + j] += x2 * bv;
          out[o3 + j] += x3 * bv;
        }
      }
    }
    for (; i < m; i++) {
      const o = oOff + i * n, aRow = aOff + i * k;
      for (let q = 0; q < k; q++) {
        const x = a[aRow + q];
        const bRow = bOff + q * n;
        for (let j = j0; j < j1; j++) out[o + j] += x * b[bRow + j];
      }
    }
  }
}

export function matmul(a: FloatArray, b: FloatArray, out: FloatArray, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, accumulate } = p;
  const Scratch = a.constructor as new (n: number) => FloatArray;
  const aT = transA ? new Scratch(m * k) : null;
  const bT = transB ? new Scratch(k * n) : null;
  let lastA = -1, lastB = -1; // a batch stride of 0 reuses the transposed copy
  for (let bt = 0; bt < batch; bt++) {
    let aSrc = a, aOff = bt * strideA, bSrc = b, bOff = bt * strideB;
    if (aT) {
      if (aOff !== lastA) transposeInto(a, aOff, k, m, aT);
      lastA = aOff; aSrc = aT; aOff = 0;
    }
    if (bT) {
      if (bOff !== lastB) transposeInto(b, bOff, n, k, bT);
      lastB = bOff; bSrc = bT; bOff = 0;
    }
    matmulBlocked(aSrc, aOff, bSrc, bOff, out, bt * m * n, m, n, k, accumulate);
  }
}
