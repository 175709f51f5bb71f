// GGUF metadata values: each key keeps its GGUF type so a file can be written back as read.
// u64/i64 values are bigint (exact); other numbers are JS numbers.

import { GgufType, GGUF_TYPE_NAMES } from './constants.js';

/** An array value: its element type and elements (nested arrays are GgufArray too). */
export interface GgufArray { itemType: GgufType; items: GgufPlain[] }
export type GgufPlain = number | bigint | boolean | string | GgufArray;
/** One metadata value with its GGUF type. */
export interface GgufValue { type: GgufType; value: GgufPlain }
export type GgufMetadata = Map<string, GgufValue>;

export const gguf = {
  u8: (v: number): GgufValue => ({ type: GgufType.UINT8, value: v }),
  i8: (v: number): GgufValue => ({ type: GgufType.INT8, value: v }),
  u16: (v: number): GgufValue => ({ type: GgufType.UINT16, value: v }),
  i16: (v: number): GgufValue => ({ type: GgufType.INT16, value: v }),
  u32: (v: number): GgufValue => ({ type: GgufType.UINT32, value: v }),
  i32: (v: number): GgufValue => ({ type: GgufType.INT32, value: v }),
  f32: (v: number): GgufValue => ({ type: GgufType.FLOAT32, value: Math.fround(v) }),
  f64: (v: number): GgufValue => ({ type: GgufType.FLOAT64, value: v }),
  u64: (v: number | bigint): GgufValue => ({ type: GgufType.UINT64, value: BigInt(v) }),
  i64: (v: number | bigint): GgufValue => ({ type: GgufType.INT64, value: BigInt(v) }),
  bool: (v: boolean): GgufValue => ({ type: GgufType.BOOL, value: v }),
  str: (v: string): GgufValue => ({ type: GgufType.STRING, value: v }),
  array: (itemType: GgufType, items: GgufPlain[]): GgufValue => ({ type: GgufType.ARRAY, value: { itemType, items } }),
};

/** The plain value of key, or undefined; throws if present but not of an allowed type. */
function getTyped(meta: GgufMetadata, key: string, allowed: readonly number[]): GgufPlain | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (!allowed.includes(v.type)) {
    throw new Error(`GGUF metadata ${key}: expected ${allowed.map((t) => GGUF_TYPE_NAMES[t]).join(' or ')}, found ${GGUF_TYPE_NAMES[v.type]}`);
  }
  return v.value;
}

const INTEGER_TYPES = [GgufType.UINT8, GgufType.INT8, GgufType.UINT16, GgufType.INT16, GgufType.UINT32, GgufType.INT32, GgufType.UINT64, GgufType.INT64];
const FLOAT_TYPES = [GgufType.FLOAT32, GgufType.FLOAT64];

/** An integer-typed key as a safe JS number. */
export function metaInt(meta: GgufMetadata, key: string): number | undefined {
  const v = getTyped(meta, key, INTEGER_TYPES);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`GGUF metadata ${key}: ${v} does not fit a safe integer`);
  return n;
}

/** A float-typed (or integer-typed) key as a JS number. */
export function metaFloat(meta: GgufMetadata, key: string): number | undefined {
  const v = getTyped(meta, key, [...FLOAT_TYPES, ...INTEGER_TYPES]);
  return v === undefined ? undefined : Number(v);
}

export function metaString(meta: GgufMetadata, key: string): string | undefined {
  return getTyped(meta, key, [GgufType.STRING]) as string | undefined;
}

export function metaBool(meta: GgufMetadata, key: string): boolean | undefined {
  return getTyped(meta, key, [GgufType.BOOL]) as boolean | undefined;
}

export function metaArray(meta: GgufMetadata, key: string): GgufArray | undefined {
  return getTyped(meta, key, [GgufType.ARRAY]) as GgufArray | undefined;
}
