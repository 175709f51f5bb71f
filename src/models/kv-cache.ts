// The key/value cache for generation: per layer, keys and values of every position seen so far,
// allocated once at full context length. Each batch row keeps its own length, so rows that hold
// different sequences (continuous batching in a server) decode together in one forward.

import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/engine.js';
import { contiguous, slice } from '../ops/views.js';

export class KVCache {
  /** Per layer: (batch, kvHeads, maxLen, headDim). */
  readonly keys: Tensor[] = [];
  readonly values: Tensor[] = [];
  /** Positions filled so far in each row (batch). A view made by rows() shares these. */
  readonly lengths: Int32Array;
  /** True for a view made by rows(): its storage belongs to another cache. */
  readonly isView: boolean;
  /** Things made for this cache (a model's decode step), by owner; disposed with it. */
  private readonly attachments = new Map<object, { version: string; value: { dispose(): void } | null }>();

  constructor(readonly layers: number, readonly batch: number, readonly kvHeads: number, readonly maxLen: number, readonly headDim: number,
    shared?: { keys: Tensor[]; values: Tensor[]; lengths: Int32Array }) {
    this.isView = shared !== undefined;
    if (shared) {
      this.keys = shared.keys;
      this.values = shared.values;
      this.lengths = shared.lengths;
      return;
    }
    this.lengths = new Int32Array(batch);
    for (let l = 0; l < layers; l++) {
      this.keys.push(keep(Tensor.empty([batch, kvHeads, maxLen, headDim])));
      this.values.push(keep(Tensor.empty([batch, kvHeads, maxLen, headDim])));
    }
  }

  /** True when every row holds the same number of positions. */
  get uniform(): boolean {
    for (let b = 1; b < this.batch; b++) if (this.lengths[b] !== this.lengths[0]) return false;
    return true;
  }

  /** Positions filled (the same in every row; see `lengths` when rows differ). Setting it sets every row. */
  get length(): number {
    if (!this.uniform) throw new Error(`the KV cache rows hold different lengths (${this.lengths.join(', ')}): read lengths`);
    return this.lengths[0];
  }

  set length(n: number) {
    this.lengths.fill(n);
  }

  /**
   * Rows start … start+count-1 as a cache of batch `count` that shares this one's storage and
   * lengths: writing through it writes here. A server prefills one request into its own row this way.
   */
  rows(start: number, count: number): KVCache {
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 1 && start + count <= this.batch)) {
      throw new Error(`rows ${start}…${start + count - 1} are outside the KV cache's ${this.batch} rows`);
    }
    const view = (t: Tensor) => keep(slice(t, 0, start, start + count));
    return new KVCache(this.layers, count, this.kvHeads, this.maxLen, this.headDim, {
      keys: this.keys.map(view), values: this.values.map(view), lengths: this.lengths.subarray(start, start + count),
    });
  }

  /** Copies row `from` (its filled positions and length) over row `to`. */
  copyRow(from: number, to: number): void {
    if (from === to) return;
    const n = this.lengths[from];
    for (const t of [...this.keys, ...this.values]) {
      const data = t.buffer.data;
      const [, H, , D] = t.shape;
      for (let h = 0; h < H; h++) {
        const src = t.offset + from * t.strides[0] + h * t.strides[1];
        const dst = t.offset + to * t.strides[0] + h * t.strides[1];
        data.copyWithin(dst, src, src + n * D);
      }
    }
    this.lengths[to] = n;
  }

  /**
   * Appends k, v (batch, kvHeads, T, headDim) for layer l, row b at positions lengths[b] …
   * lengths[b]+T-1, and returns the keys and values of every position so far, (batch, kvHeads,
   * max(lengths)+T, headDim): views of the cache (no copy; the attention op reads them in place).
   * Where rows differ, positions past a row's own length+T are stale and must not be attended.
   * The caller advances the lengths once every layer has been written.
   */
  append(l: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const T = k.shape[2];
    let longest = 0;
    for (let b = 0; b < this.batch; b++) longest = Math.max(longest, this.lengths[b]);
    if (longest + T > this.maxLen) throw new Error(`the KV cache holds ${this.maxLen} positions; ${longest + T} were asked for`);
    const write = (dst: Tensor, src: Tensor) => {
      const data = contiguous(src).data();
      const rowShape = [1, ...src.shape.slice(1)];
      const rowSize = data.length / this.batch;
      for (let b = 0; b < this.batch; b++) {
        const offset = dst.offset + b * dst.strides[0] + this.lengths[b] * dst.strides[2];
        dst.backend.writeStrided(data.subarray(b * rowSize, (b + 1) * rowSize), dst.buffer.data, offset, rowShape, dst.strides);
      }
    };
    write(this.keys[l], k);
    write(this.values[l], v);
    const end = longest + T;
    return { k: slice(this.keys[l], 2, 0, end), v: slice(this.values[l], 2, 0, end) };
  }

  /** What `owner` attached to this cache at `version`, made (or remade) by make() when absent or older. */
  attachment<T extends { dispose(): void }>(owner: object, version: string, make: () => T | null): T | null {
    const had = this.attachments.get(owner);
    if (had && had.version === version) return had.value as T | null;
    had?.value?.dispose();
    const value = make();
    this.attachments.set(owner, { version, value });
    return value;
  }

  dispose(): void {
    for (const a of this.attachments.values()) a.value?.dispose();
    this.attachments.clear();
    for (const t of [...this.keys, ...this.values]) t.dispose();
  }
}
