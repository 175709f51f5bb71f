// Parameter names of the Llama family's mixtures of experts, as Hugging Face writes them:
//   Mixtral:   model.layers.L.block_sparse_moe.gate.weight (E, C), ….experts.E.w1/w3 (F, C), w2 (C, F)
//   Qwen2-MoE: model.layers.L.mlp.gate.weight (E, C), mlp.experts.E.{gate,up,down}_proj,
//              mlp.shared_expert.{gate,up,down}_proj, mlp.shared_expert_gate.weight (1, C)

import type { NamedTensor } from '../../../io/types.js';
import type { TensorPart } from '../../family.js';
import type { MoeLayer } from '../../moe.js';
import type { LlamaConfig, MoeConfig } from './config.js';

/** The routed MLP of layer l, by parameter names. */
export function moeLayer(c: LlamaConfig & { moe: MoeConfig }, l: number): MoeLayer {
  const m = c.moe, p = `model.layers.${l}.`;
  if (m.style === 'mixtral') {
    return {
      experts: m.experts, topK: m.expertsPerToken, normTopK: m.normTopK, router: `${p}block_sparse_moe.gate.weight`,
      expert: (e) => ({ gate: `${p}block_sparse_moe.experts.${e}.w1.weight`, up: `${p}block_sparse_moe.experts.${e}.w3.weight`, down: `${p}block_sparse_moe.experts.${e}.w2.weight` }),
    };
  }
  return {
    experts: m.experts, topK: m.expertsPerToken, normTopK: m.normTopK, router: `${p}mlp.gate.weight`,
    expert: (e) => ({ gate: `${p}mlp.experts.${e}.gate_proj.weight`, up: `${p}mlp.experts.${e}.up_proj.weight`, down: `${p}mlp.experts.${e}.down_proj.weight` }),
    shared: { gate: `${p}mlp.shared_expert.gate_proj.weight`, up: `${p}mlp.shared_expert.up_proj.weight`, down: `${p}mlp.shared_expert.down_proj.weight`, gateWeight: `${p}mlp.shared_expert_gate.weight` },
  };
}

/** Every matrix of a routed MLP: [weight name, module, in, out]. */
export function moeMatrices(c: LlamaConfig & { moe: MoeConfig }, l: number): [string, string, number, number][] {
  const m = moeLayer(c, l), C = c.dim, F = c.moe.expertHidden;
  const out: [string, string, number, number][] = [[m.router, 'router', C, c.moe.experts]];
  for (let e = 0; e < c.moe.experts; e++) {
    const x = m.expert(e);
    out.push([x.gate, 'expert_gate', C, F], [x.up, 'expert_up', C, F], [x.down, 'expert_down', F, C]);
  }
  if (m.shared) {
    const S = c.moe.sharedExpertHidden!;
    out.push([m.shared.gate, 'shared_gate', C, S], [m.shared.up, 'shared_up', C, S], [m.shared.down, 'shared_down', S, C], [m.shared.gateWeight, 'shared_expert_gate', C, 1]);
  }
  return out;
}

/** A GGUF fused expert tensor: blk.L.ffn_{gate,up,down}_exps.weight, and the per-expert HF module it holds. */
const FUSED = /^blk\.(\d+)\.ffn_(gate|up|down)_exps\.weight$/;
const MIXTRAL_EXPERT = /^model\.layers\.(\d+)\.block_sparse_moe\.experts\.(\d+)\.(w1|w2|w3)\.weight$/;
const QWEN_EXPERT = /^model\.layers\.(\d+)\.mlp\.experts\.(\d+)\.(gate_proj|up_proj|down_proj)\.weight$/;
const WHICH: Record<string, 'gate' | 'up' | 'down'> = { w1: 'gate', w3: 'up', w2: 'down', gate_proj: 'gate', up_proj: 'up', down_proj: 'down' };
const MIXTRAL_NAME = { gate: 'w1', up: 'w3', down: 'w2' };

/** Per-expert HF matrices -> GGUF's fused (experts, out, in) tensors; other tensors pass through. */
export function packExperts(tensors: readonly NamedTensor[]): { packed: NamedTensor[]; rest: NamedTensor[] } {
  const groups = new Map<string, { shape: number[]; byExpert: Map<number, Float32Array> }>();
  const rest: NamedTensor[] = [];
  for (const t of tensors) {
    const m = MIXTRAL_EXPERT.exec(t.name) ?? QWEN_EXPERT.exec(t.name);
    if (!m) {
      rest.push(t);
      continue;
    }
    if (!(t.data instanceof Float32Array)) throw new Error(`GGUF names: ${t.name} is not float32`);
    const key = `blk.${m[1]}.ffn_${WHICH[m[3]]}_exps.weight`;
    const g = groups.get(key) ?? { shape: t.shape, byExpert: new Map() };
    if (g.shape.some((d, i) => d !== t.shape[i])) throw new Error(`GGUF names: the experts of ${key} differ in shape`);
    g.byExpert.set(Number(m[2]), t.data);
    groups.set(key, g);
  }
  const packed: NamedTensor[] = [];
  for (const [name, g] of groups) {
    const E = g.byExpert.size, n = g.shape[0] * g.shape[1];
    const data = new Float32Array(E * n);
    for (let e = 0; e < E; e++) {
      const part = g.byExpert.get(e);
      if (!part) throw new Error(`GGUF names: ${name} is missing expert ${e}`);
      data.set(part, e * n);
    }
    packed.push({ name, shape: [E, ...g.shape], data });
  }
  return { packed, rest };
}

/** The per-expert HF parameters inside GGUF's fused blk.L.ffn_*_exps.weight (experts, out, in). */
export function unpackExperts(arch: string, ggufName: string, shape: readonly number[]): TensorPart[] | undefined {
  const m = FUSED.exec(ggufName);
  if (!m) return undefined;
  if (shape.length !== 3) throw new Error(`GGUF: ${ggufName} must be 3-D (experts, out, in), got [${shape}]`);
  const [E, rows, cols] = shape, l = m[1], which = m[2] as 'gate' | 'up' | 'down';
  const name = (e: number) => (arch === 'qwen2moe'
    ? `model.layers.${l}.mlp.experts.${e}.${which}_proj.weight`
    : `model.layers.${l}.block_sparse_moe.experts.${e}.${MIXTRAL_NAME[which]}.weight`);
  return Array.from({ length: E }, (_, e) => ({ name: name(e), shape: [rows, cols], offset: e * rows * cols }));
}

/**
 * Newer Hugging Face Mixtral checkpoints hold each layer's experts fused:
 * mlp.experts.gate_up_proj (experts, 2·F, C) (gate rows, then up rows) and mlp.experts.down_proj
 * (experts, C, F), with the router as mlp.gate.weight. As the per-expert parameters glasslm names.
 */
export function splitFusedHf(name: string, shape: readonly number[]): TensorPart[] | undefined {
  const m = /^model\.layers\.(\d+)\.(?:mlp|block_sparse_moe)\.experts\.(gate_up_proj|down_proj)$/.exec(name);
  if (!m) return undefined;
  if (shape.length !== 3) throw new Error(`${name} must be 3-D (experts, out, in), got [${shape}]`);
  const [E, rows, cols] = shape, p = `model.layers.${m[1]}.block_sparse_moe.experts.`;
  const parts: TensorPart[] = [];
  for (let e = 0; e < E; e++) {
    if (m[2] === 'down_proj') parts.push({ name: `${p}${e}.w2.weight`, shape: [rows, cols], offset: e * rows * cols });
    else {
      if (rows % 2 !== 0) throw new Error(`${name}: ${rows} rows do not split into gate and up halves`);
      const F = rows / 2;
      parts.push({ name: `${p}${e}.w1.weight`, shape: [F, cols], offset: e * rows * cols }, { name: `${p}${e}.w3.weight`, shape: [F, cols], offset: e * rows * cols + F * cols });
    }
  }
  return parts;
}
