// GGUF constants: metadata value types and the ggml tensor types with their block layout.
// Spec: ggml docs/gguf.md; block structs: ggml-common.h.

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGML_MAX_DIMS = 4;

/** Metadata value types (gguf_metadata_value_type). */
export const GgufType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7,
  STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;
export type GgufType = (typeof GgufType)[keyof typeof GgufType];

export const GGUF_TYPE_NAMES: Record<number, string> = {
  0: 'u8', 1: 'i8', 2: 'u16', 3: 'i16', 4: 'u32', 5: 'i32', 6: 'f32', 7: 'bool',
  8: 'string', 9: 'array', 10: 'u64', 11: 'i64', 12: 'f64',
};

/** The ggml tensor types glasslm knows (ggml_type). */
export const GgmlType = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q8_1: 9,
  Q2_K: 10, Q3_K: 11, Q4_K: 12, Q5_K: 13, Q6_K: 14, Q8_K: 15,
  I8: 24, I16: 25, I32: 26, I64: 27, F64: 28, BF16: 30,
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Values per block and bytes per block (for plain types, 1 value per "block"). */
export interface GgmlTypeInfo { name: string; blockSize: number; typeSize: number }

export const QK_K = 256; // super-block size of the K-quants

export const GGML_TYPES: Record<number, GgmlTypeInfo> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4 },
  1: { name: 'F16', blockSize: 1, typeSize: 2 },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 2 + 16 }, // d: f16, qs[16]: nibbles
  3: { name: 'Q4_1', blockSize: 32, typeSize: 4 + 16 },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 2 + 4 + 16 },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 4 + 4 + 16 },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 2 + 32 }, // d: f16, qs[32]: int8
  9: { name: 'Q8_1', blockSize: 32, typeSize: 4 + 32 },
  10: { name: 'Q2_K', blockSize: QK_K, typeSize: 16 + 64 + 4 },
  11: { name: 'Q3_K', blockSize: QK_K, typeSize: 32 + 64 + 12 + 2 },
  12: { name: 'Q4_K', blockSize: QK_K, typeSize: 4 + 12 + 128 }, // d, dmin: f16; scales[12]; qs[128]
  13: { name: 'Q5_K', blockSize: QK_K, typeSize: 4 + 12 + 32 + 128 },
  14: { name: 'Q6_K', blockSize: QK_K, typeSize: 128 + 64 + 16 + 2 }, // ql[128], qh[64], scales[16]: int8, d: f16
  15: { name: 'Q8_K', blockSize: QK_K, typeSize: 4 + 256 + 32 },
  24: { name: 'I8', blockSize: 1, typeSize: 1 },
  25: { name: 'I16', blockSize: 1, typeSize: 2 },
  26: { name: 'I32', blockSize: 1, typeSize: 4 },
  27: { name: 'I64', blockSize: 1, typeSize: 8 },
  28: { name: 'F64', blockSize: 1, typeSize: 8 },
  30: { name: 'BF16', blockSize: 1, typeSize: 2 },
};

export function ggmlTypeName(type: number): string {
  return GGML_TYPES[type]?.name ?? `unknown(${type})`;
}
