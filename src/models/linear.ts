// Every product of a model with one of its matrices goes through here: `proj.apply(x, name)`
// reads the matrix's layout from the family (nn.Linear (out, in) or Conv1D (in, out)) and uses
// its int8 copy, or its (out, in) transpose, when the model holds one. (Adapters such as LoRA belong here too, so that every
// family gets them at once.)

import * as op from '../ops/index.js';
import type { QuantizedMatrix } from '../ops/quantized.js';
import { tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearSpec } from './family.js';
import type { LinearAdapter } from './adapters.js';

export class Projections {
  /** The model's linear layers by weight name. */
  readonly specs: ReadonlyMap<string, LinearSpec>;
  /** Adds to the outputs of the layers it adapts (LoRA), or null. */
  adapter: LinearAdapter | null = null;

  constructor(
    private readonly params: ReadonlyMap<string, Tensor>,
    /** int8 copies by LinearSpec.int8Key (the model's own map: filled later by Model.quantize). */
    private readonly quantized: ReadonlyMap<string, QuantizedMatrix>,
    specs: readonly LinearSpec[],
    /** (in, out) matrices held transposed, as (out, in), by weight name (the model's own map: filled by Model.transposeConv1D). */
    private readonly transposed: ReadonlyMap<string, Tensor> = new Map(),
  ) {
    this.specs = new Map(specs.map((s) => [s.weight, s]));
  }

  spec(weight: string): LinearSpec {
    const s = this.specs.get(weight);
    if (!s) throw new Error(`'${weight}' is not a linear layer of this model`);
    return s;
  }

  /** The int8 copy of a linear layer, if the model holds one. */
  int8(weight: string): QuantizedMatrix | undefined {
    return this.quantized.get(this.spec(weight).int8Key ?? weight);
  }

  /** x (…, in) -> (…, out): x·Wᵀ + b for nn.Linear, x·W + b for Conv1D, or the int8 product. */
  apply(x: Tensor, weight: string): Tensor {
    const s = this.spec(weight);
    const bias = s.bias === undefined ? undefined : this.params.get(s.bias);
    const q = this.quantized.get(s.int8Key ?? weight);
    let out: Tensor;
    const t = this.transposed.get(weight);
    if (q) out = op.linearQ8(x, q, bias);
    else if (t) out = op.linear(x, t, bias); // t (out, in), as nn.Linear
    else {
      const w = this.params.get(weight)!;
      const wio = s.layout === 'in-out' ? w : op.transpose(w); // (in, out)
      out = bias ? op.matmulBias(x, wio, bias) : op.matmul(x, wio);
    }
    const d = this.adapter?.delta(weight.slice(0, -'.weight'.length), x); // + LoRA, when attached
    return d ? op.add(out, d) : out;
  }

  /** Rows of an embedding table for ids (B, T) -> (B, T, d): the float table, or the int8 copy where only that is kept (a tied head). */
  embed(table: string, ids: Tensor): Tensor {
    const t = this.params.get(table);
    if (t) return op.embedding(t, ids);
    const q = this.int8(table);
    if (!q) throw new Error(`the model has no parameter '${table}'`);
    return op.embeddingQ8(q, ids);
  }

  /**
   * A matrix as float32 in its stored layout: the parameter, or for one held only as int8 or
   * transposed a copy that the caller owns (dispose it, or use it inside tidy).
   */
  float(weight: string): Tensor {
    const t = this.params.get(weight);
    if (t) return t;
    const held = this.transposed.get(weight);
    if (held) return tidy(() => op.contiguous(op.transpose(held)));
    const q = this.int8(weight);
    if (!q) throw new Error(`the model has no parameter '${weight}'`);
    // int8 copies are held (out, in): a Conv1D matrix is turned back to (in, out)
    return tidy(() => (this.spec(weight).layout === 'in-out' ? op.contiguous(op.transpose(q.dequantize())) : q.dequantize()));
  }
}
