// A LoRA adapter as llama.cpp's GGUF adapter file (what convert_lora_to_gguf.py writes and
// llama-adapter.cpp reads): general.type 'adapter', adapter.type 'lora', adapter.lora.alpha, and
// per adapted weight `<gguf weight name>.lora_a` (r, in) and `.lora_b` (out, r), row-major here
// (ggml dims reversed: a->ne = [in, r], b->ne = [r, out]). llama.cpp scales by alpha / r with r
// from lora_b, so a layer whose own scale differs (rsLoRA, alpha_pattern, a --lora :S multiplier)
// has the difference folded into its B. Llama q/k rows are permuted as the base weights are.

import { configToHf } from '../models/config.js';
import type { ModelConfig } from '../models/config.js';
import { hfConfigToGgufMetadata, hfHeadCounts } from '../io/gguf/config.js';
import { GgmlType } from '../io/gguf/constants.js';
import { type GgufMetadata, gguf } from '../io/gguf/metadata.js';
import { type GgufArch, hfTensorsToGguf, hfToGgufName } from '../io/gguf/names.js';
import type { GgufToWrite } from '../io/gguf/write.js';
import type { LoraAdapter } from './adapter.js';

export function loraToGguf(adapter: LoraAdapter, modelConfig: ModelConfig, name = 'glasslm-lora'): GgufToWrite {
  const hf = configToHf(modelConfig);
  const arch = hfConfigToGgufMetadata(hf).get('general.architecture')!.value as GgufArch;
  const heads = arch === 'gpt2' ? undefined : hfHeadCounts(hf);
  const alpha = adapter.config.alpha;
  const meta: GgufMetadata = new Map();
  meta.set('general.architecture', gguf.str(arch));
  meta.set('general.type', gguf.str('adapter'));
  meta.set('general.name', gguf.str(name));
  meta.set('adapter.type', gguf.str('lora'));
  meta.set('adapter.lora.alpha', gguf.f32(alpha));
  const tensors: GgufToWrite['tensors'] = [];
  for (const [module, l] of adapter.layers) {
    const weight = `${module}.weight`;
    const ggufName = hfToGgufName(arch, weight)!;
    const r = l.A.shape[0];
    // llama.cpp applies alpha / r: fold this layer's own factor into B
    const fold = (l.scale * adapter.multiplier) / (alpha / r);
    const b = Float32Array.from(l.B.floats(), (x) => x * fold);
    // B's rows are the weight's output rows: they take the weight's q/k permutation (Llama); GPT-2's
    // Conv1D transpose does not apply (A and B are nn.Linear-shaped already)
    const bRows = arch === 'gpt2' ? b : hfTensorsToGguf(arch, heads, [{ name: weight, shape: [...l.B.shape], data: b }])[0].data as Float32Array;
    tensors.push({ name: `${ggufName}.lora_a`, shape: [...l.A.shape], data: Float32Array.from(l.A.floats()), type: GgmlType.F32 });
    tensors.push({ name: `${ggufName}.lora_b`, shape: [...l.B.shape], data: bRows, type: GgmlType.F32 });
  }
  return { metadata: meta, tensors };
}
