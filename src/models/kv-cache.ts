// The key/value cache for generation: per layer, keys and values of every position seen so far,
// allocated once at full context length.

import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/engine.js';
import { contiguous, slice } from '../ops/views.js';

export class KVCache {
  /** Per layer: (batch, kvHeads, maxLen, headDim). */
  readonly keys: Tensor[] = [];
  readonly values: Tensor[] = [];
  /** Positions filled so far. */
  length = 0;
  /** Things made for this cache (a model's decode step), by owner; disposed with it. */
  private readonly attachments = new Map<object, { version: string; value: { dispose(): void } | null }>();

  constructor(readonly layers: number, readonly batch: number, readonly kvHeads: number, readonly maxLen: number, readonly headDim: number) {
    for (let l = 0; l < layers; l++) {
      this.keys.push(keep(Tensor.empty([batch, kvHeads, maxLen, headDim])));
      this.values.push(keep(Tensor.empty([batch, kvHeads, maxLen, headDim])));
    }
  }

  /**
   * Appends k, v (batch, kvHeads, T, headDim) for layer l at positions length … length+T-1 and
   * returns the keys and values of every position so far, (batch, kvHeads, length+T, headDim):
   * views of the cache (no copy; the attention op reads them in place). The caller advances
   * `length` once every layer has been written.
   */
  append(l: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const T = k.shape[2];
    if (this.length + T > this.maxLen) throw new Error(`the KV cache holds ${this.maxLen} positions; ${this.length + T} were asked for`);
    const write = (dst: Tensor, src: Tensor) => {
      const offset = this.length * dst.strides[2];
      dst.backend.writeStrided(contiguous(src).data(), dst.buffer.data, offset, src.shape, dst.strides);
    };
    write(this.keys[l], k);
    write(this.values[l], v);
    const end = this.length + T;
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
