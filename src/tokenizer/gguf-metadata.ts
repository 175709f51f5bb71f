// A small GGUF (v2/v3) metadata reader: just the key/value pairs, enough for a tokenizer.
//
// Layout: 'GGUF', u32 version, u64 tensor_count, u64 kv_count, then kv_count pairs of
// (gguf string key, u32 value type, value). A gguf string is u64 byte length + UTF-8 bytes.
// Value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string,
// 9 array (u32 item type, u64 count, items), 10 u64, 11 i64, 12 f64. All little-endian.
// Every length is checked against the buffer, so a truncated file is a clear error.

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufMetadata {
  version: number;
  tensorCount: bigint;
  kv: Map<string, GgufValue>;
}

/** Thrown when the buffer ends before the metadata does (a caller may retry with more of the file). */
export class GgufTruncatedError extends Error {}

const TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
const FIXED_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];

class Cursor {
  pos = 0;
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor(private readonly buf: Uint8Array, private readonly what: string) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number | bigint, doing: string): number {
    const left = this.buf.length - this.pos;
    if (BigInt(n) > BigInt(left)) {
      throw new GgufTruncatedError(`${this.what}: truncated GGUF file: ${doing} needs ${n} bytes at offset ${this.pos}, but only ${left} remain`);
    }
    return Number(n);
  }
  u32(doing: string): number {
    this.need(4, doing);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(doing: string): bigint {
    this.need(8, doing);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  string(doing: string): string {
    const n = this.need(this.u64(doing), doing);
    const bytes = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return this.decoder.decode(bytes);
    } catch {
      throw new Error(`${this.what}: ${doing} is not valid UTF-8 (offset ${this.pos - n})`);
    }
  }
  scalar(type: number, doing: string): GgufValue {
    const size = FIXED_SIZE[type]!;
    this.need(size, doing);
    const p = this.pos;
    this.pos += size;
    const v = this.view;
    switch (type) {
      case 0: return v.getUint8(p);
      case 1: return v.getInt8(p);
      case 2: return v.getUint16(p, true);
      case 3: return v.getInt16(p, true);
      case 4: return v.getUint32(p, true);
      case 5: return v.getInt32(p, true);
      case 6: return v.getFloat32(p, true);
      case 7: return v.getUint8(p) !== 0;
      case 10: return v.getBigUint64(p, true);
      case 11: return v.getBigInt64(p, true);
      case 12: return v.getFloat64(p, true);
      default: throw new Error(`${this.what}: ${doing} has unknown value type ${type}`);
    }
  }
  value(type: number, doing: string): GgufValue {
    if (type === 8) return this.string(doing);
    if (type === 9) {
      const itemType = this.u32(doing);
      if (itemType > 12) throw new Error(`${this.what}: ${doing} is an array of unknown type ${itemType}`);
      const count = this.u64(doing);
      const size = FIXED_SIZE[itemType]!;
      // Each item takes at least `size` bytes (8 for a string's length), so a count that cannot fit is caught here.
      this.need(count * BigInt(size > 0 ? size : 8), `${doing} (${count} items of ${TYPE_NAMES[itemType]})`);
      const n = Number(count);
      const out: GgufValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.value(itemType, `${doing}[${i}]`);
      return out;
    }
    if (type > 12) throw new Error(`${this.what}: ${doing} has unknown value type ${type}`);
    return this.scalar(type, doing);
  }
}

/** Reads the metadata of a GGUF file (the tensors are not read). */
export function readGgufMetadata(buf: Uint8Array, what = 'GGUF file'): GgufMetadata {
  const c = new Cursor(buf, what);
  c.need(4, 'the magic number');
  const magic = String.fromCharCode(buf[0]!, buf[1]!, buf[2]!, buf[3]!);
  if (magic !== 'GGUF') throw new Error(`${what}: not a GGUF file (magic ${JSON.stringify(magic)}, expected "GGUF")`);
  c.pos = 4;
  const version = c.u32('the version');
  if (version !== 2 && version !== 3) throw new Error(`${what}: GGUF version ${version} is not supported (2 or 3)`);
  const tensorCount = c.u64('the tensor count');
  const kvCount = c.u64('the key/value count');
  const kv = new Map<string, GgufValue>();
  for (let i = 0n; i < kvCount; i++) {
    const key = c.string(`key ${i}`);
    const type = c.u32(`the type of '${key}'`);
    kv.set(key, c.value(type, `'${key}'`));
  }
  return { version, tensorCount, kv };
}
