// Reference row softmax and log-softmax (numerically stable: the row maximum is subtracted first).

import type { FloatArray } from '../../tensor/dtype.js';

export function softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - max);
      out[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) out[o + j] *= inv;
  }
}

export function softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}

/** logsumexp of x[o … o+cols). */
export function logSumExp(x: FloatArray, o: number, cols: number): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
  return max + Math.log(sum);
}

export function logSoftmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = logSumExp(x, o, cols);
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - lse;
  }
}

export function logSoftmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += dy[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j] - Math.exp(y[o + j]) * sum;
  }
}
