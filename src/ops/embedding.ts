// Embedding lookup: rows of a table selected by int32 ids.

import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record } from './record.js';
import { contiguous } from './views.js';

/** table (vocab, dim), ids (…) int32 -> (…, dim). Ids outside the table are an error. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embedding: ids must be int32, got ${ids.dtype}`);
  if (table.rank !== 2) throw new Error(`embedding: table must be 2-D, got ${formatShape(table.shape)}`);
  const [rows, cols] = table.shape;
  const idData = contiguous(ids).data() as Int32Array;
  for (const id of idData) {
    if (!(id >= 0 && id < rows)) throw new Error(`token id ${id} is outside the vocabulary (0 … ${rows - 1})`);
  }
  const out = Tensor.output([...ids.shape, cols], table.dtype, table.backend);
  table.backend.gather(contiguous(table).floats(), idData, out.floats(), cols);
  return record(out, 'embedding', [table], (g) => {
    const dTable = Tensor.empty(table.shape, table.dtype, table.backend);
    table.backend.scatterAdd(contiguous(g).floats(), idData, dTable.floats(), cols);
    return [dTable];
  });
}
