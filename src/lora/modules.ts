// The linear layers LoRA can adapt, by Hugging Face module name, and PEFT's rule for choosing them:
// a target 'q_proj' matches every module whose name is 'q_proj' or ends in '.q_proj'.

import type { ModelConfig } from '../models/config.js';
import { familyOf } from '../models/families/index.js';

export interface LinearModule {
  /** Module name, e.g. 'transformer.h.0.attn.c_attn' or 'model.layers.0.self_attn.q_proj'. */
  name: string;
  in: number;
  out: number;
  /** GPT-2's Conv1D: the weight is stored (in, out) (PEFT's fan_in_fan_out); nn.Linear stores (out, in). */
  conv1d: boolean;
}

/** Every linear layer an adapter may target, as the model's family lists them (the blocks' projections, not the head). */
export function linearModules(config: ModelConfig): LinearModule[] {
  return familyOf(config).linears(config).filter((l) => l.adaptable).map((l) => ({
    name: l.weight.slice(0, -'.weight'.length), in: l.in, out: l.out, conv1d: l.layout === 'in-out',
  }));
}

/** PEFT's default targets: the attention's query and value projections, or GPT-2's fused c_attn. */
export function defaultTargets(config: ModelConfig): string[] {
  const short = new Set(linearModules(config).map((m) => m.name.split('.').pop()!));
  if (short.has('q_proj') && short.has('v_proj')) return ['q_proj', 'v_proj'];
  if (short.has('c_attn')) return ['c_attn'];
  return [...short];
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
