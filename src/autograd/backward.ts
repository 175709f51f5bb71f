// Reverse-mode automatic differentiation: topological order from the loss, then each op's GradFn.

import { Tensor } from '../tensor/tensor.js';
import { keep, noGrad } from '../tensor/engine.js';
import { add } from '../ops/elementwise.js';
import { ones, zeros } from '../ops/create.js';
import { contiguous } from '../ops/views.js';
import { formatShape } from '../tensor/shape.js';

/** Tensors reachable from root through gradFn inputs, inputs before outputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const input of t.gradFn?.inputs ?? []) if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }
  return order;
}

/**
 * Accumulates d(root)/d(leaf) into leaf.grad for every leaf with requiresGrad.
 * root must be a scalar unless a gradient of its shape is given. Leaf gradients are kept
 * alive past tidy scopes; intermediate gradients belong to the enclosing tidy scope.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): this tensor does not require gradients (no parameter with requiresGrad led to it)');
  if (!grad && root.size !== 1) throw new Error(`backward() without a gradient needs a scalar, got shape ${formatShape(root.shape)}`);
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    // gradients created here for windowed views: contiguous, aliased by nothing, so writable in place
    const owned = new Set<Tensor>();
    grads.set(root, grad ?? ones(root.shape, root.dtype));
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.gradFn) {
        // a leaf: accumulate into .grad
        const previous = t.grad;
        t.grad = keep(previous ? add(previous, g) : g);
        if (previous) previous.dispose();
        continue;
      }
      const win = t.gradFn.window;
      const only = t.gradFn.inputs[0];
      if (win) {
        // a window of its input: add g into that window of the input's own gradient buffer
        if (!only.requiresGrad) continue;
        let acc = grads.get(only);
        if (!acc || !owned.has(acc)) {
          const fresh = zeros(only.shape, g.dtype, g.backend);
          if (acc) fresh.backend.writeStrided(contiguous(acc).data(), fresh.buffer.data, 0, fresh.shape, fresh.strides);
          acc = fresh;
          owned.add(acc);
          grads.set(only, acc);
        }
        const target = acc.viewAs(win.shape, win.strides, win.offset);
        const sum = add(target, g);
        acc.backend.writeStrided(contiguous(sum).data(), acc.buffer.data, win.offset, win.shape, win.strides);
        target.dispose();
        continue;
      }
      const inputGrads = t.gradFn.backward(g);
      t.gradFn.inputs.forEach((input, k) => {
        const ig = inputGrads[k];
        if (!ig || !input.requiresGrad) return;
        const previous = grads.get(input);
        grads.set(input, previous ? add(previous, ig) : ig);
        if (previous) owned.delete(previous);
      });
    }
  });
}
