// A first-fit allocator over the one WebAssembly.Memory that holds every tensor, so kernels run
// with no copies. Blocks are 64-byte aligned; freed blocks are merged with free neighbours, and a
// free block at the top lowers the top, so repeated alloc/free of varying sizes does not grow
// memory without bound. The memory grows (never shrinks) when no free block fits.
//
// A view made before a grow stays valid (shared memory never detaches), but its `buffer` is an
// older SharedArrayBuffer object: `owns` remembers every buffer object the memory has had. An
// unshared memory would detach its views: it is created at full size and given as maxBytes.

const ALIGN = 64;
const PAGE = 65536;

export class WasmAllocator {
  private top: number; // first byte never handed out (bump region above)
  private dirtyTop: number; // bytes at or above this have never been written: already zero
  private readonly freeOff: number[] = []; // free blocks, sorted by offset
  private readonly freeSize: number[] = [];
  private readonly live = new Map<number, number>(); // offset -> size of blocks in use
  private readonly buffers = new Set<ArrayBufferLike>();

  /** limitNote: said in the out-of-memory error (why the memory cannot grow further). */
  constructor(readonly memory: WebAssembly.Memory, start: number, private readonly maxBytes: number, private readonly limitNote = '') {
    this.top = this.dirtyTop = Math.ceil(start / ALIGN) * ALIGN;
    this.buffers.add(memory.buffer);
  }

  /**
   * Whether a typed array's bytes lie inside this memory. A shared memory's `buffer` is a new
   * object after any shared memory of this thread grows (V8 refreshes them all), so every object
   * it has been seen as is kept: views are made from `buffer()`, and one made from the current
   * object is recognised too.
   */
  owns(view: ArrayBufferView): boolean {
    if (this.buffers.has(view.buffer)) return true;
    if (view.buffer !== this.memory.buffer) return false;
    this.buffers.add(view.buffer);
    return true;
  }

  /** The memory's buffer now, remembered as this memory's (make views of the memory from it). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  get liveBlocks(): number {
    return this.live.size;
  }

  /** Bytes of memory in all (the size of the WebAssembly.Memory). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes under the top (in use or in free blocks). */
  get usedBytes(): number {
    return this.top;
  }

  /** A block of at least `bytes` bytes, zero-filled unless `zero` is false; returns its byte offset. */
  alloc(bytes: number, zero = true): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let off = -1;
    for (let i = 0; i < this.freeOff.length; i++) {
      if (this.freeSize[i] < size) continue;
      off = this.freeOff[i];
      if (this.freeSize[i] === size) {
        this.freeOff.splice(i, 1);
        this.freeSize.splice(i, 1);
      } else {
        this.freeOff[i] += size;
        this.freeSize[i] -= size;
      }
      break;
    }
    if (off < 0) {
      off = this.top;
      this.ensure(off + size);
      this.top += size;
    }
    this.live.set(off, size);
    // zero what may have been written (blocks and dirtyTop are ALIGN-aligned); Float64Array.fill, since
    // Uint8Array.fill on a SharedArrayBuffer runs about 4× slower
    if (zero && off < this.dirtyTop) new Float64Array(this.memory.buffer, off, Math.min(size, this.dirtyTop - off) / 8).fill(0);
    if (off + size > this.dirtyTop) this.dirtyTop = off + size;
    return off;
  }

  free(off: number): void {
    const size = this.live.get(off);
    if (size === undefined) throw new Error(`wasm allocator: free of an unknown block at ${off}`);
    this.live.delete(off);
    // insert sorted, then merge with the neighbours
    let lo = 0, hi = this.freeOff.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeOff[mid] < off) lo = mid + 1;
      else hi = mid;
    }
    this.freeOff.splice(lo, 0, off);
    this.freeSize.splice(lo, 0, size);
    if (lo + 1 < this.freeOff.length && this.freeOff[lo] + this.freeSize[lo] === this.freeOff[lo + 1]) {
      this.freeSize[lo] += this.freeSize[lo + 1];
      this.freeOff.splice(lo + 1, 1);
      this.freeSize.splice(lo + 1, 1);
    }
    if (lo > 0 && this.freeOff[lo - 1] + this.freeSize[lo - 1] === this.freeOff[lo]) {
      this.freeSize[lo - 1] += this.freeSize[lo];
      this.freeOff.splice(lo, 1);
      this.freeSize.splice(lo, 1);
      lo--;
    }
    const last = this.freeOff.length - 1;
    if (last >= 0 && this.freeOff[last] + this.freeSize[last] === this.top) {
      this.top = this.freeOff[last];
      this.freeOff.pop();
      this.freeSize.pop();
    }
  }

  /** Grows the memory so that `end` bytes fit: at least 1.5× the current size (fewer grows). */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) throw new Error(`wasm allocator: out of memory (${end} bytes needed, at most ${this.maxBytes})${this.limitNote ? `: ${this.limitNote}` : ''}`);
    const want = Math.min(this.maxBytes, Math.max(end, Math.floor(have * 1.5)));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    this.buffers.add(this.memory.buffer);
  }
}
