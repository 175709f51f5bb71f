// The one tensor type the checkpoint readers and writers deal in: a name, a row-major
// shape, and flat data. Floating-point formats (F16, BF16, F64, quantized blocks) all
// come out as float32; integer formats come out as int32 (refused when a value does not fit).

export interface NamedTensor {
  name: string;
  shape: number[]; // row-major, outermost first, e.g. (out, in) for a Linear weight
  data: Float32Array | Int32Array;
}

/** Product of a shape's dimensions; 1 for a scalar (empty shape). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks that data.length matches the shape, with a message naming the tensor. */
export function checkTensor(t: NamedTensor): void {
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`tensor ${t.name}: bad dimension ${d} in shape [${t.shape}]`);
  }
  if (numel(t.shape) !== t.data.length) {
    throw new Error(`tensor ${t.name}: shape [${t.shape}] needs ${numel(t.shape)} values, data has ${t.data.length}`);
  }
}
