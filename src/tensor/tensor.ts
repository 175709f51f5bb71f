// Tensor: a typed view (shape, strides, offset) over backend storage, plus autograd bookkeeping.
// Math lives in src/ops; this file only describes data.

import type { Backend } from '../backend/backend.js';
import { copyStrided } from '../backend/cpu/elementwise.js';
import { type DType, type FloatArray, type Storage, allocStorage, dtypeOf } from './dtype.js';
import { getBackend, track } from './engine.js';
import { type Shape, contiguousStrides, formatShape, sizeOf } from './shape.js';

/** Storage shared by a tensor and its views; freed when the last of them is disposed. */
export class Buffer {
  refs = 0;
  constructor(readonly data: Storage, readonly backend: Backend) {}
}

/** How to push a gradient back through the op that produced a tensor. */
export interface GradFn {
  name: string;
  inputs: Tensor[];
  /** Gradients for each input (null where an input needs none), given the output's gradient. */
  backward(grad: Tensor): (Tensor | null)[];
  /**
   * For a view of one window of its input (slice, split): where the window sits in a contiguous
   * tensor of the input's shape. backward() then adds the output's gradient straight into that
   * window of the input's accumulated gradient, instead of a zero tensor per piece summed later.
   */
  window?: { offset: number; shape: readonly number[]; strides: readonly number[] };
}

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly dtype: DType;
  requiresGrad = false;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  private buf: Buffer | null;

  constructor(buffer: Buffer, shape: Shape, strides?: readonly number[], offset = 0) {
    this.buf = buffer;
    buffer.refs++;
    this.shape = [...shape];
    this.strides = strides ? [...strides] : contiguousStrides(shape);
    this.offset = offset;
    this.size = sizeOf(shape);
    this.dtype = dtypeOf(buffer.data);
    track(this);
  }

  /** A new contiguous tensor on the backend, zero-filled. */
  static empty(shape: Shape, dtype: DType = 'float32', backend: Backend = getBackend()): Tensor {
    return new Tensor(new Buffer(backend.alloc(dtype, sizeOf(shape)), backend), shape);
  }

  /**
   * A new contiguous tensor whose contents are unspecified: only for the output of a kernel that
   * writes every element (it saves zero-filling memory that is about to be overwritten).
   */
  static output(shape: Shape, dtype: DType = 'float32', backend: Backend = getBackend()): Tensor {
    return new Tensor(new Buffer(backend.alloc(dtype, sizeOf(shape), false), backend), shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get backend(): Backend {
    return this.buffer.backend;
  }

  get isDisposed(): boolean {
    return this.buf === null;
  }

  get buffer(): Buffer {
    if (!this.buf) throw new Error('this tensor has been disposed');
    return this.buf;
  }

  /** Row-major strides over the whole shape, starting at some offset. */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.rank - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }

  /** The elements in row-major order: a view of the storage when contiguous, else a copy. */
  data(): Storage {
    const storage = this.buffer.data;
    if (this.isContiguous) return storage.subarray(this.offset, this.offset + this.size);
    const out = allocStorage(this.dtype, this.size); // a plain JS copy, owned by the caller
    copyStrided(storage, this.offset, this.shape, this.strides, out);
    return out;
  }

  /** data() for float tensors, with a clear error for int32. */
  floats(): FloatArray {
    if (this.dtype === 'int32') throw new Error('expected a float tensor, got int32');
    return this.data() as FloatArray;
  }

  /** The elements as a plain JS array (for printing and tests). */
  toArray(): number[] {
    return Array.from(this.data());
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a tensor with one element, got shape ${formatShape(this.shape)}`);
    return this.buffer.data[this.offset];
  }

  /** A view with other shape/strides over the same storage (no autograd; see ops/views). */
  viewAs(shape: Shape, strides: readonly number[], offset: number): Tensor {
    return new Tensor(this.buffer, shape, strides, offset);
  }

  dispose(): void {
    const b = this.buf;
    if (!b) return;
    this.buf = null;
    if (--b.refs === 0) b.backend.free(b.data);
    if (this.grad) this.grad.dispose();
    this.grad = null;
    this.gradFn = null;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}
