// A LoRA adapter as llama.cpp's GGUF adapter file (what convert_lora_to_gguf.py writes and
// llama-adapter.cpp reads): general.type 'adapter', adapter.type 'lora', adapter.lora.alpha, and
// per adapted weight `<gguf weight name>.lora_a` (r, in) and `.lora_b` (out, r), row-major here
// (ggml dims reversed: a->ne = [in, r], b->ne = [r, out]). llama.cpp scales by alpha / r with r
// from lora_b, so a layer whose own scale differs (rsLoRA, alpha_pattern, a --lora :S multiplier)
// has the difference folded into its B. B's rows are the weight's output rows, so they take the
// weight's row permutation (Llama's q/k rows); a Conv1D weight's transpose does not apply (A and
// B are nn.Linear-shaped already). Names and layouts come from the model's family.

import { hfHeadCounts } from '../io/gguf/config.js';
import { GgmlType } from '../io/gguf/constants.js';
import { type GgufMetadata, gguf } from '../io/gguf/metadata.js';
import type { GgufToWrite } from '../io/gguf/write.js';
import { type ModelConfig, configToHf } from '../models/config.js';
import { familyOf } from '../models/families/index.js';
import type { LoraAdapter } from './adapter.js';

export function loraToGguf(adapter: LoraAdapter, modelConfig: ModelConfig, name = 'glasslm-lora'): GgufToWrite {
  const hf = configToHf(modelConfig);
  const side = familyOf(modelConfig).gguf;
  const arch = side.archFor(hf);
  const heads = hfHeadCounts(hf);
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
    const ggufName = side.nameToGguf(arch, weight);
    if (ggufName === undefined) throw new Error(`'${weight}' has no GGUF name`);
    const r = l.A.shape[0];
    const fold = (l.scale * adapter.multiplier) / (alpha / r); // llama.cpp applies alpha / r
    let b = Float32Array.from(l.B.floats(), (x) => x * fold);
    const bShape = [...l.B.shape];
    if (!l.module.conv1d && side.layoutToGguf(arch, ggufName, bShape).relayout) {
      const out = new Float32Array(b.length);
      side.relayout(arch, heads, ggufName, bShape, b, out, true);
      b = out;
    }
    tensors.push({ name: `${ggufName}.lora_a`, shape: [...l.A.shape], data: Float32Array.from(l.A.floats()), type: GgmlType.F32 });
    tensors.push({ name: `${ggufName}.lora_b`, shape: bShape, data: b, type: GgmlType.F32 });
  }
  return { metadata: meta, tensors };
}
