// Reference embedding lookup (gather rows) and its gradient (scatter-add rows).

import type { FloatArray } from '../../tensor/dtype.js';

export function gather(table: FloatArray, ids: Int32Array, out: FloatArray, cols: number): void {
  for (let i = 0; i < ids.length; i++) {
    const src = ids[i] * cols;
    out.set(table.subarray(src, src + cols), i * cols);
  }
}

export function scatterAdd(dOut: FloatArray, ids: Int32Array, dTable: FloatArray, cols: number): void {
  for (let i = 0; i < ids.length; i++) {
    const dst = ids[i] * cols, src = i * cols;
    for (let j = 0; j < cols; j++) dTable[dst + j] += dOut[src + j];
  }
}
