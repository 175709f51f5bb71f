// Selecting rows and putting them back, differentiably: what a mixture-of-experts layer needs to
// send each expert only the tokens routed to it. gatherRows and scatterRows are each other's gradient.

import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record } from './record.js';
import { contiguous } from './views.js';

function checkRows(what: string, rows: Int32Array, n: number): void {
  for (const r of rows) if (!(r >= 0 && r < n)) throw new Error(`${what}: row ${r} is outside 0 … ${n - 1}`);
}

/** x (N, C), rows (n) -> (n, C): x[rows[i]] in row i. */
export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  if (x.rank !== 2) throw new Error(`gatherRows: x must be 2-D, got ${formatShape(x.shape)}`);
  const [N, C] = x.shape;
  checkRows('gatherRows', rows, N);
  const out = Tensor.output([rows.length, C], x.dtype, x.backend);
  x.backend.gather(contiguous(x).floats(), rows, out.floats(), C);
  return record(out, 'gatherRows', [x], (g) => [scatterRows(g, rows, N)]);
}

/** src (n, C), rows (n), N -> (N, C): zeros, with src row i added into row rows[i]. */
export function scatterRows(src: Tensor, rows: Int32Array, N: number): Tensor {
  if (src.rank !== 2 || src.shape[0] !== rows.length) throw new Error(`scatterRows: src must be (${rows.length}, C), got ${formatShape(src.shape)}`);
  checkRows('scatterRows', rows, N);
  const C = src.shape[1];
  const out = Tensor.output([N, C], src.dtype, src.backend);
  out.floats().fill(0);
  src.backend.scatterAdd(contiguous(src).floats(), rows, out.floats(), C);
  return record(out, 'scatterRows', [src], (g) => [gatherRows(g, rows)]);
}
