// Reference LayerNorm and RMSNorm over rows of length cols, forward and backward (as llm.c).

import type { FloatArray } from '../../tensor/dtype.js';

export function layerNorm(x: FloatArray, w: FloatArray, b: FloatArray, out: FloatArray, mean: FloatArray, rstd: FloatArray, rows: number, cols: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let j = 0; j < cols; j++) m += x[o + j];
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j] - m;
      v += d * d;
    }
    const s = 1 / Math.sqrt(v / cols + eps);
    for (let j = 0; j < cols; j++) out[o + j] = (x[o + j] - m) * s * w[j] + b[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

export function layerNormBackward(dy: FloatArray, x: FloatArray, w: FloatArray, mean: FloatArray, rstd: FloatArray, dx: FloatArray, dw: FloatArray, db: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = mean[r], s = rstd[r];
    // two reductions: mean of dnorm and mean of dnorm * norm
    let dnormMean = 0, dnormNormMean = 0;
    for (let j = 0; j < cols; j++) {
      const norm = (x[o + j] - m) * s;
      const dnorm = dy[o + j] * w[j];
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= cols;
    dnormNormMean /= cols;
    for (let j = 0; j < cols; j++) {
      const norm = (x[o + j] - m) * s;
      const dnorm = dy[o + j] * w[j];
      db[j] += dy[o + j];
      dw[j] += norm * dy[o + j];
      dx[o + j] = (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

export function rmsNorm(x: FloatArray, w: FloatArray, out: FloatArray, rstd: FloatArray, rows: number, cols: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) ss += x[o + j] * x[o + j];
    const s = 1 / Math.sqrt(ss / cols + eps);
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j] * s * w[j];
    rstd[r] = s;
  }
}

export function rmsNormBackward(dy: FloatArray, x: FloatArray, w: FloatArray, rstd: FloatArray, dx: FloatArray, dw: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const s = rstd[r];
    // y = x * s * w, s = (mean(x²) + eps)^(-1/2) -> dx = s * (dy*w - x * s² * mean(dy*w*x))
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j] * w[j] * x[o + j];
    const c = (dot / cols) * s * s;
    for (let j = 0; j < cols; j++) {
      dw[j] += dy[o + j] * x[o + j] * s;
      dx[o + j] = s * (dy[o + j] * w[j] - x[o + j] * c);
    }
  }
}
