// The decode step (program.ts): built for a model and a KV cache where it can run (the wasm
// backend, batch 1, every weight in wasm memory, a family with a step plan), else null and the
// general forward runs. Each family writes its own plan (ModelFamily.decodeStep).

import type { Backend } from '../../backend/backend.js';
import type { WasmBackend } from '../../backend/wasm/index.js';
import type { QuantizedMatrix } from '../../ops/quantized.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AnyFamily } from '../family.js';
import type { KVCache } from '../kv-cache.js';
import { type DecodeStep, NotSteppable, ProgramWriter } from './program.js';

export { DecodeStep, NotSteppable, ProgramWriter, STEP_PARALLEL_BYTES } from './program.js';

const isWasm = (b: Backend): b is WasmBackend => b.name === 'wasm' && typeof (b as Partial<WasmBackend>).runStep === 'function';

export function buildDecodeStep(family: AnyFamily, config: { arch: string }, params: ReadonlyMap<string, Tensor>,
  quantized: ReadonlyMap<string, QuantizedMatrix>, transposed: ReadonlyMap<string, Tensor>, cache: KVCache): DecodeStep | null {
  if (!family.decodeStep) return null;
  const first = params.values().next().value as Tensor | undefined;
  const backend = first?.backend ?? quantized.values().next().value?.data.backend ?? transposed.values().next().value?.backend;
  if (!backend || !isWasm(backend) || cache.batch !== 1) return null;
  if (cache.keys[0]?.backend !== backend) return null;
  const w = new ProgramWriter(backend);
  try {
    return family.decodeStep(config, { params, quantized, transposed }, cache, w);
  } catch (e) {
    w.abandon();
    if (e instanceof NotSteppable) return null;
    throw e;
  }
}
