// The linear layers LoRA can adapt, by Hugging Face module name, and PEFT's rule for choosing them:
// a target 'q_proj' matches every module whose name is 'q_proj' or ends in '.q_proj'.

import { type ModelConfig, parameterShapes } from '../models/config.js';

export interface LinearModule {
  /** Module name, e.g. 'transformer.h.0.attn.c_attn' or 'model.layers.0.self_attn.q_proj'. */
  name: string;
  in: number;
  out: number;
  /** GPT-2's Conv1D: the weight is stored (in, out) (PEFT's fan_in_fan_out); nn.Linear stores (out, in). */
  conv1d: boolean;
}

/** Whether an architecture stores its projections as Conv1D (in, out). */
function isConv1d(config: ModelConfig): boolean {
  return config.arch === 'gpt2';
}

/** Every projection matrix of the blocks (not the embeddings or the output head). */
export function linearModules(config: ModelConfig): LinearModule[] {
  const conv1d = isConv1d(config);
  const out: LinearModule[] = [];
  for (const [name, shape] of parameterShapes(config)) {
    if (shape.length !== 2 || !name.endsWith('.weight') || /(wte|wpe|embed_tokens|lm_head)\.weight$/.test(name)) continue;
    out.push({ name: name.slice(0, -'.weight'.length), in: conv1d ? shape[0] : shape[1], out: conv1d ? shape[1] : shape[0], conv1d });
  }
  return out;
}

/** PEFT's default targets: the attention's query/value (Llama) or fused qkv (GPT-2) projections. */
export function defaultTargets(config: ModelConfig): string[] {
  return config.arch === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'];
}

/** Whether a PEFT target (a module name, or its last part) names this module. */
export function matchesTarget(module: string, target: string): boolean {
  return module === target || module.endsWith('.' + target);
}

/** The modules `targets` choose ('all-linear': every projection); an unknown target is an error. */
export function selectModules(config: ModelConfig, targets: readonly string[] | 'all-linear'): LinearModule[] {
  const all = linearModules(config);
  if (targets === 'all-linear') return all;
  if (targets.length === 0) throw new Error('no LoRA targets given');
  for (const t of targets) {
    if (!all.some((m) => matchesTarget(m.name, t))) {
      const names = [...new Set(all.map((m) => m.name.split('.').pop()))].join(', ');
      throw new Error(`LoRA target '${t}' names no linear layer of this model (its layers: ${names}, or all-linear)`);
    }
  }
  return all.filter((m) => targets.some((t) => matchesTarget(m.name, t)));
}
