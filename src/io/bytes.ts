// Bounds-checked little-endian reading and growable writing of binary files.
// Every read names the field it is reading, so a truncated file says what was cut off.

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Typed-array views over file bytes assume a little-endian host (every real one). */
export function assertLittleEndianHost(): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error('glasslm io: big-endian hosts are not supported');
}

export class ByteReader {
  readonly view: DataView;
  pos = 0;

  /** what: the file's description for error messages, e.g. "GGUF". */
  constructor(readonly bytes: Uint8Array, readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless n more bytes are available. */
  need(n: number, field: string): void {
    if (n > this.bytes.length - this.pos) {
      throw new Error(`${this.what}: file truncated: ${field} needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left`);
    }
  }

  u8(field: string): number { this.need(1, field); return this.view.getUint8(this.pos++); }
  i8(field: string): number { this.need(1, field); return this.view.getInt8(this.pos++); }
  u16(field: string): number { this.need(2, field); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  i16(field: string): number { this.need(2, field); const v = this.view.getInt16(this.pos, true); this.pos += 2; return v; }
  u32(field: string): number { this.need(4, field); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(field: string): number { this.need(4, field); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(field: string): number { this.need(4, field); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  f64(field: string): number { this.need(8, field); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }
  u64Big(field: string): bigint { this.need(8, field); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  i64Big(field: string): bigint { this.need(8, field); const v = this.view.getBigInt64(this.pos, true); this.pos += 8; return v; }

  /** A u64 that must fit a JS safe integer (counts, lengths, offsets). */
  u64(field: string): number {
    this.need(8, field);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    if (hi >= 0x200000) throw new Error(`${this.what}: ${field} at offset ${this.pos} is ${this.view.getBigUint64(this.pos, true)}, too large`);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  /** A view of the next n bytes (no copy). */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Appends little-endian values to a buffer that doubles when full. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Grows the buffer for n more bytes; returns where they start. Call before touching view/buf. */
  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number): void { const at = this.reserve(1); this.view.setUint8(at, v); }
  i8(v: number): void { const at = this.reserve(1); this.view.setInt8(at, v); }
  u16(v: number): void { const at = this.reserve(2); this.view.setUint16(at, v, true); }
  i16(v: number): void { const at = this.reserve(2); this.view.setInt16(at, v, true); }
  u32(v: number): void { const at = this.reserve(4); this.view.setUint32(at, v, true); }
  i32(v: number): void { const at = this.reserve(4); this.view.setInt32(at, v, true); }
  f32(v: number): void { const at = this.reserve(4); this.view.setFloat32(at, v, true); }
  f64(v: number): void { const at = this.reserve(8); this.view.setFloat64(at, v, true); }
  u64(v: number | bigint): void { const at = this.reserve(8); this.view.setBigUint64(at, BigInt(v), true); }
  i64(v: number | bigint): void { const at = this.reserve(8); this.view.setBigInt64(at, BigInt(v), true); }
  bytes(b: Uint8Array): void { const at = this.reserve(b.length); this.buf.set(b, at); }

  /** Zero bytes up to the next multiple of alignment. */
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
  }

  /** The bytes written so far (a view; copy it if you keep writing). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
