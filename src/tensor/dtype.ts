// Element types. float32 is the working type; float64 exists for gradient checks; int32 holds token ids;
// uint8 holds packed quantized blocks (Q8_0 weights).

export type DType = 'float32' | 'float64' | 'int32' | 'uint8';
export type FloatArray = Float32Array | Float64Array;
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  return 'int32';
}

export function allocStorage(dtype: DType, length: number): Storage {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint8': return new Uint8Array(length);
  }
}
