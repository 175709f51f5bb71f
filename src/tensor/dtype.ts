// Element types. float32 is the working type; float64 exists for gradient checks; int32 holds token ids.

export type DType = 'float32' | 'float64' | 'int32';
export type FloatArray = Float32Array | Float64Array;
export type Storage = Float32Array | Float64Array | Int32Array;

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

export function allocStorage(dtype: DType, length: number): Storage {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
  }
}
