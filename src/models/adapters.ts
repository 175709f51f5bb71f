// A hook on the model's linear layers: something that adds to a projection's output, such as a
// LoRA adapter (src/lora). The model asks it once per projection; null leaves the module alone.

import type { Tensor } from '../tensor/tensor.js';

export interface LinearAdapter {
  /**
   * The amount to add to module `module`'s output (its Hugging Face name without '.weight', e.g.
   * 'model.layers.0.self_attn.q_proj') for input x (…, in): (…, out), or null for none.
   */
  delta(module: string, x: Tensor): Tensor | null;
}

/** out + adapter's delta for module (when it has one). */
export function withAdapter(adapter: LinearAdapter | null | undefined, module: string, x: Tensor, out: Tensor, add: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const d = adapter?.delta(module, x);
  return d ? add(out, d) : out;
}
